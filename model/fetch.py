"""Fetching an article by URL, treating the web as hostile: bounded in time, size and redirects.

Only http and https are followed, at every hop; at most MAX_REDIRECTS redirects; a connect and a
read timeout; the body is read in pieces and abandoned past MAX_BYTES, so a page can make
neither the run hang nor memory grow; only HTML and plain text are accepted. Every failure is
one InputError naming the URL. urllib3 (already beneath trafilatura) does the HTTP.
"""

from pathlib import Path
from urllib.parse import urljoin, urlsplit

from model.errors import InputError

USER_AGENT = "conflict-paragraphs/0.1 (paragraph classifier; +https://pypi.org/project/conflict-paragraphs/)"
TIMEOUT_SECONDS = 20.0  # to connect, and between two pieces of the body
MAX_BYTES = 10_000_000  # a news page is well under this; more is not an article
MAX_REDIRECTS = 5
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def read_url_list(path: Path) -> list[str]:
    """The URLs listed in a file, one per line (# starts a comment); anything else is refused before any fetching."""
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--urls {path}: cannot read ({exc})") from None
    found = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    bad = [url for url in found if not is_url(url)]
    if bad:
        raise InputError(f"--urls {path}: not an http(s) URL: {bad[0]!r}")
    if not found:
        raise InputError(f"--urls {path}: no URLs in the file")
    return found


def fetch(url: str, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> str:
    """The text of the page at `url` (decoded with its declared charset, else UTF-8 with replacement)."""
    import urllib3

    http = urllib3.PoolManager(headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.8"},
                               timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(current).scheme.lower() not in ("http", "https"):
            raise InputError(f"{url}: only http and https URLs are fetched (got {current})")
        try:
            response = http.request("GET", current, preload_content=False, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            raise InputError(f"{url}: cannot fetch ({_reason(exc)})") from None
        try:
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                continue
            if response.status != 200:
                raise InputError(f"{url}: HTTP {response.status} {response.reason or ''}".rstrip())
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and content_type not in TEXT_TYPES:
                raise InputError(f"{url}: not a web page or text ({content_type})")
            return _read_capped(response, url, max_bytes).decode(_charset(response), errors="replace")
        except urllib3.exceptions.HTTPError as exc:
            raise InputError(f"{url}: cannot fetch ({_reason(exc)})") from None
        finally:
            response.release_conn()
    raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _reason(exc: Exception) -> str:
    """A short cause for a failed request: "timed out" when it did, else the error's kind."""
    return "timed out" if "timed out" in str(exc).lower() else type(exc).__name__


def _read_capped(response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise InputError(f"{url}: page larger than {max_bytes:,} bytes ({int(declared):,})")
    body = bytearray()
    for piece in response.stream(64 * 1024):
        body += piece
        if len(body) > max_bytes:
            raise InputError(f"{url}: page larger than {max_bytes:,} bytes")
    return bytes(body)


def _charset(response) -> str:
    import codecs

    for part in response.headers.get("Content-Type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            try:
                return codecs.lookup(value.strip("\"' ")).name
            except LookupError:
                break
    return "utf-8"

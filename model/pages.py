"""Web pages: recognise HTML by its content and take the article's paragraphs out of it.

The article body is extracted with trafilatura (maintained, and among the best measured
extractors on news pages), which leaves navigation, menus, cookie banners, comments, footers
and scripts out and keeps the body's paragraphs in reading order. With `keep_boilerplate`
every visible text block of the page is kept instead, also in reading order.
"""

import re

from model.errors import InputError

_HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|article|div|p)\b",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "blockquote", "td", "th", "dt", "dd",
               "div", "section", "article", "header", "footer", "nav", "aside", "main", "form", "ul", "ol",
               "table", "tr", "figure", "pre", "address", "button", "label"}
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")


def _parse(html: str, source: str):
    """The page as an lxml tree, with libxml2's limits lifted to fit real pages.

    Without `huge_tree`, libxml2 stops at 256 levels of nesting (a page of unclosed tags reaches
    that) and at text nodes of 10 MB, and what lies past them is silently lost.
    """
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True, collect_ids=False, default_doctype=False, remove_comments=True,
                                  remove_pis=True)
    try:
        try:
            return lxml.html.fromstring(html, parser=parser)
        except ValueError:  # a str that declares its encoding: parse its bytes
            return lxml.html.fromstring(html.encode("utf-8"), parser=parser)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise InputError(f"{source}: cannot parse HTML ({exc})") from None


def looks_like_html(head: str) -> bool:
    """True when text starts like an HTML document or fragment, whatever the file is called."""
    return bool(_HTML_START.match(head[:4096].lstrip("\ufeff")))


SMALL_BODY_SHARE = 0.2  # below this share of a page's visible text, the extracted body may have lost paragraphs
SMALL_BODY_MIN_CHARS = 3000  # ... on a page with at least this much visible text


def html_paragraphs(html: str, keep_boilerplate: bool = False, source: str = "page", warn=None) -> list[str]:
    """The paragraphs of a page: the article body, or every text block with `keep_boilerplate`.

    With `warn`, a body much smaller than the page's visible text is reported: broken markup can
    make the extractor drop paragraphs, and `--keep-boilerplate` is then the way to get them.
    """
    if keep_boilerplate:
        return _all_blocks(html, source)
    import trafilatura

    text = trafilatura.extract(_parse(html, source), include_comments=False, include_tables=False,
                               include_images=False, deduplicate=False)
    body = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    if warn is not None:
        visible = sum(len(block) for block in _all_blocks(html, source))
        kept = sum(len(paragraph) for paragraph in body)
        if visible >= SMALL_BODY_MIN_CHARS and kept < SMALL_BODY_SHARE * visible:
            warn(f"{source}: the article body kept is {kept / visible:.0%} of the page's visible text; "
                 "if paragraphs are missing, --keep-boilerplate keeps every block")
    return body


def _all_blocks(html: str, source: str) -> list[str]:
    """Every visible text block in document order: each block's own text, not its children's."""
    root = _parse(html, source)
    for element in root.xpath("|".join(f"//{tag}" for tag in _INVISIBLE_TAGS)):
        element.drop_tree()
    blocks, current = [], []

    def flush():
        text = " ".join("".join(current).split())
        if text:
            blocks.append(text)
        current.clear()

    def walk(element):
        is_block = isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS
        if is_block:
            flush()
        if isinstance(element.tag, str) and element.text:
            current.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if is_block:
            flush()

    walk(root)
    flush()
    return blocks

"""Classifying URLs, against a real HTTP server on 127.0.0.1 started by the test."""

import http.server
import json
import re
import threading
import time

import pytest
from typer.testing import CliRunner

from model.cli import app
from model.errors import InputError
from model.fetch import fetch
from tests.conftest import ROOT

PAGE = (ROOT / "tests" / "pages" / "fallujah-wire.html").read_bytes()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        routes = {
            "/page": lambda: self._send(200, "text/html; charset=utf-8", PAGE),
            "/plain": lambda: self._send(200, "text/plain", "Troops took the bridge at dawn, the army said.\n".encode()),
            "/redirect": lambda: self._redirect("/page"),
            "/loop": lambda: self._redirect("/loop"),
            "/elsewhere": lambda: self._redirect("ftp://127.0.0.1/file"),
            "/missing": lambda: self._send(404, "text/html", b"not here"),
            "/slow": self._slow,
            "/huge": lambda: self._send(200, "text/html", b"<p>" + b"x" * 5000 + b"</p>"),
            "/huge-undeclared": self._huge_undeclared,
            "/image": lambda: self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        }
        self.server.agents.append(self.headers.get("User-Agent", ""))
        routes.get(self.path, lambda: self._send(404, "text/plain", b"no route"))()

    def _send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _slow(self):
        time.sleep(3)
        self._send(200, "text/html", b"<p>late</p>")

    def _huge_undeclared(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(10):
            self.wfile.write(b"y" * 1000)

    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up on /slow is what that route is for


@pytest.fixture(scope="module")
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.agents = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_page_and_a_redirect_are_fetched_with_our_user_agent(server):
    httpd, base = server
    assert fetch(f"{base}/redirect") == PAGE.decode("utf-8")
    assert fetch(f"{base}/plain").startswith("Troops took the bridge")
    assert httpd.agents[-1].startswith("conflict-paragraphs/")


@pytest.mark.parametrize("path, message", [
    ("/missing", "HTTP 404"),
    ("/image", "not a web page or text (image/png)"),
    ("/loop", "more than 5 redirects"),
    ("/elsewhere", "only http and https"),
    ("/huge", "page larger than 1,000 bytes"),
    ("/huge-undeclared", "page larger than 1,000 bytes"),
    ("/slow", "timed out"),
])
def test_bad_responses_are_one_line_errors(server, path, message):
    _, base = server
    started = time.monotonic()
    with pytest.raises(InputError, match=re.escape(message)) as error:
        fetch(f"{base}{path}", timeout=1.0, max_bytes=1000)
    assert str(error.value).startswith(f"{base}{path}: ") and "\n" not in str(error.value)
    assert time.monotonic() - started < 2.5, "the timeout bounds the wait"


def test_classify_urls_like_a_folder_with_per_url_errors(server, tmp_path, monkeypatch):
    _, base = server
    monkeypatch.setattr("model.classify.fetch", lambda url: fetch(url, timeout=1.0))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# today's pages\n{base}/page\n\n{base}/missing\n{base}/plain\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--urls", str(listing), "-f", "jsonl", "--summary"])
    assert result.exit_code == 1
    summaries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [s["source"] for s in summaries] == [f"{base}/page", f"{base}/plain"]
    assert summaries[0]["paragraphs"] > 3 and summaries[1]["dominant"] == "military_action"
    assert f"error: {base}/missing: HTTP 404" in result.stderr and "1 of 3 files failed" in result.stderr
    single = CliRunner().invoke(app, ["classify", f"{base}/plain", "-f", "jsonl"])
    assert single.exit_code == 0 and json.loads(single.stdout)["label"] == "military_action"


def test_a_urls_file_with_something_else_is_refused_before_fetching(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text("https://example.org/a\nfile:///etc/passwd\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--urls", str(listing)])
    assert result.exit_code == 2 and "not an http(s) URL: 'file:///etc/passwd'" in result.stderr

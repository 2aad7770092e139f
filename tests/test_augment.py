"""training.augment: sourced copies of bare content sentences and bare copies of sourced ones."""

import pytest

from training.augment import bare_sentence, eligible, sourcing_copies


def test_sourcing_copies_frame_plain_sentences_and_strip_sourced_ones():
    rows = [
        {"text": "Troops took the river crossing at dawn.", "label": "military_action"},
        {"text": "Troops took the grain silos on the ridge, the army said.", "label": "military_action"},
        {"text": "The rebels denied the attack, a spokesman said.", "label": "attribution"},  # a claim: never copied
        {"text": "Parliament approved the budget. It passed narrowly.", "label": "funding_policy"},  # two bare sentences
    ]
    assert [eligible(r["text"], r["label"]) for r in rows] == [True, False, False, False]
    framed, bare = sourcing_copies(rows, seed=1)
    assert framed["label"] == "military_action" and framed["text"] != rows[0]["text"]
    assert "river crossing" in framed["text"] and sourcing_copies(rows, seed=1) == [framed, bare]
    assert bare == {"text": "Troops took the grain silos on the ridge.", "label": "military_action"}


@pytest.mark.parametrize(("text", "label", "expected"), [
    ("The toll from the blast rose to 31, hospital officials said on Tuesday.", "casualty_report",
     "The toll from the blast rose to 31."),
    ("According to the monitor, at least 14 fighters were killed in the clashes.", "casualty_report",
     "At least 14 fighters were killed in the clashes."),
    ("\u201cWe paid the March salaries to all 9,000 reservists,\u201d a ministry spokeswoman told AFP.", "funding_policy",
     "We paid the March salaries to all 9,000 reservists."),
    ("Jets struck two depots near the port overnight, the military said in a statement. Smoke rose for hours.",
     "military_action", "Jets struck two depots near the port overnight."),  # the first sentence only
])
def test_bare_sentence_cuts_the_source_tag_off(text, label, expected):
    assert bare_sentence(text, label) == expected


@pytest.mark.parametrize(("text", "label"), [
    ("The army denied shelling the market, a spokesman said.", "attribution"),  # not a content label
    ("Troops took the bridge, which residents said had been mined.", "military_action"),  # a relative clause, not a tag
    ("Troops advanced, officials said.", "military_action"),  # too short to stand alone
    ("The convoy was hit near Gao, a source told AFP, asking not to be named.", "military_action"),  # tag with a comma
    ("Troops took the bridge on Monday.", "military_action"),  # nothing to cut
])
def test_bare_sentence_leaves_what_it_cannot_cut_cleanly(text, label):
    assert bare_sentence(text, label) is None

"""training.invariance: sourcing frames, flip rates, and statements built from labelled paragraphs."""

from training.augment import REPORTED
from training.invariance import FRAMES, SPEAKERS, Statement, flip_rates, frames, statements_from


def test_frames_keep_the_statement_and_name_the_speaker():
    framed = frames(Statement("Troops took the bridge.", "military_action", "the army", False))
    assert framed["bare"] == "Troops took the bridge."
    assert framed["said"] == "Troops took the bridge, the army said."
    assert framed["according_to"] == "According to the army, troops took the bridge."
    assert framed["quote"] == "\u201cTroops took the bridge,\u201d the army said."
    assert framed["told_agency"] == "The army told Reuters that troops took the bridge."
    assert frames(Statement("Kyiv was hit.", "military_action", "the army", True))["according_to"].endswith(", Kyiv was hit.")


def test_flip_rates_count_labels_that_change_with_the_frame():
    statements = [Statement("Troops took the bridge.", "military_action", "the army", False),
                  Statement("Nine people were killed.", "casualty_report", "medics", False)]
    # a model with the old shortcut: a quote means attribution
    report = flip_rates(statements, lambda texts: ["attribution" if "\u201c" in t else
                                                   "military_action" if "bridge" in t else "casualty_report" for t in texts])
    assert set(report) == set(FRAMES)
    assert report["quote"]["flip_rate"] == 1.0 and report["quote"]["accuracy"] == 0.0
    assert report["said"]["flip_rate"] == 0.0 and report["said"]["accuracy"] == 1.0
    assert report["quote"]["flips"][0] == {"text": "\u201cTroops took the bridge,\u201d the army said.",
                                           "bare": "military_action", "framed": "attribution"}


def test_statements_from_paragraphs_use_bare_and_stripped_content_only():
    rows = [
        {"text": "Troops took the river crossing at dawn.", "label": "military_action"},
        {"text": "At least 14 fighters were killed in the clashes, the monitor said.", "label": "casualty_report"},
        {"text": "The rebels denied the attack.", "label": "attribution"},
        {"text": "Subscribe to our newsletter.", "label": "other"},
    ]
    statements = statements_from(rows)
    assert [(s.text, s.label) for s in statements] == [("Troops took the river crossing at dawn.", "military_action"),
                                                       ("At least 14 fighters were killed in the clashes.", "casualty_report")]
    assert statements[1].starts_with_proper_noun is False and statements[1].speaker


def test_statements_from_name_sources_that_training_frames_never_use():
    """The check chooses a recipe, so the frames it builds must not be ones the model was trained on."""
    rows = [{"text": f"Troops took village number {i} at dawn.", "label": "military_action"} for i in range(20)]
    rows += [{"text": f"At least {i + 3} people were killed in the raid, medics said.", "label": "casualty_report"} for i in range(20)]
    speakers = {s.speaker for s in statements_from(rows)}
    assert speakers == set(SPEAKERS["military_action"]) | set(SPEAKERS["casualty_report"])
    assert not speakers & {speaker for names in REPORTED.values() for speaker in names}
    assert set(SPEAKERS) == set(REPORTED)

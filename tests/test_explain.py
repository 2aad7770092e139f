"""Explanations by occlusion: offsets that point into the paragraph, and weights that are faithful."""

import json
import random

import numpy as np
from typer.testing import CliRunner

from model import load_predictor
from model.cli import app
from model.explain import spans_of, without
from tests.conftest import ROOT

FAITHFUL_SHARE = 0.8


def test_spans_are_words_with_exact_offsets():
    text = "Rebels shelled Kharkiv's ring road at 05:40, killing 1,200 sheep — officials said."
    spans = [text[start:end] for start, end in spans_of(text)]
    assert spans == ["Rebels", "shelled", "Kharkiv's", "ring", "road", "at", "05", "40", "killing", "1,200", "sheep",
                     "officials", "said"]
    assert without(text, *spans_of(text)[1]) == "Rebels Kharkiv's ring road at 05:40, killing 1,200 sheep — officials said."
    long = " ".join(f"w{i}" for i in range(500))
    assert len(spans_of(long)) <= 60 and spans_of(long)[-1][1] == len(long)


def test_predictor_explain_gives_the_label_and_spans_into_the_text():
    predictor = load_predictor()
    text = "“We have recovered 23 bodies from the rubble so far,” a civil defence official told AFP."
    explanation = predictor.explain(text)
    assert explanation.label == predictor.predict(text).label == "casualty_report"
    assert all(text[s.start:s.end] == s.text for s in explanation.spans)
    # the toll is told three times over (recovered, bodies, rubble): deleting one barely moves a
    # confident model, so any of them may rank highest, but one of them must be among the top three
    assert {"recovered", "23", "bodies", "rubble"} & {s.text for s in explanation.top(3)}
    assert len(predictor.explain([text, "Sign up to our newsletter."])) == 2


def test_deleting_the_top_span_moves_the_label_more_than_a_random_one():
    """Faithfulness: on most test paragraphs the top-weighted span matters more than a random span as long.

    Measured, as the weights are, in log-odds of the label over the runner-up: in probability a
    confident model's drops are all near zero (half of them tie to 1e-4), which measures saturation.
    """
    rows = [json.loads(line) for line in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows if 8 <= len(r["text"].split()) <= 60][:60]
    predictor = load_predictor()
    rng = random.Random(0)
    wins = 0
    for text, why in zip(texts, predictor.explain(texts)):
        label, runner_up = predictor.labels.index(why.label), predictor.labels.index(why.runner_up)
        top = why.top(1)[0] if why.top(1) else max(why.spans, key=lambda s: s.weight)
        others = [s for s in why.spans if s != top]
        chance = rng.choice(others)
        probabilities = predictor.predict_proba(
            [text, without(text, top.start, top.end), without(text, chance.start, chance.end)])
        base, without_top, without_random = np.log(probabilities[:, label]) - np.log(probabilities[:, runner_up])
        wins += (base - without_top) > (base - without_random)
    share = wins / len(texts)
    print(f"faithfulness: top span beats a random span in {share:.0%} of {len(texts)} paragraphs")
    assert share >= FAITHFUL_SHARE


def test_explain_command_prints_label_scores_and_words(tmp_path):
    result = CliRunner().invoke(app, ["explain", "Seventeen bodies have been recovered so far, a civil defence official said."])
    assert result.exit_code == 0, result.output
    assert "casualty_report" in result.output and "toward casualty_report" in result.output and "bodies" in result.output
    article = tmp_path / "a.txt"
    article.write_text("Sign up to our newsletter.\n\nTroops took the bridge at dawn, the army said.\n", encoding="utf-8")
    both = CliRunner().invoke(app, ["explain", str(article)])
    assert both.exit_code == 0 and "other" in both.output and "military_action" in both.output
    empty = CliRunner().invoke(app, ["explain", "   "])
    assert empty.exit_code == 2 and "nothing to explain" in empty.stderr


def test_explained_jsonl_rows_carry_offsets(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Troops took the bridge at dawn, the army said.\n\nThe toll rose to 43, medics said.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", str(article), "-f", "jsonl", "--explain"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    for row in rows:
        assert row["explanation"] and all(row["text"][s["start"]:s["end"]] == s["text"] for s in row["explanation"])
        assert set(row["explanation"][0]) == {"text", "start", "end", "weight"}

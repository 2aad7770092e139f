"""`suggest`: the paragraphs most worth labelling, uncertain and spread over the pool, never repeated."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from model import load_predictor
from model.cli import app
from model.suggest import _margins, pool_paragraphs, spread_pick, suggest
from tests.conftest import ROOT
from training.data import normalise

runner = CliRunner()


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


@pytest.fixture(scope="module")
def pool():
    rows = [json.loads(line) for line in (ROOT / "data" / "challenge.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows]


def test_suggest_picks_uncertain_paragraphs_without_repeats(predictor, pool):
    pairs = [("pool.jsonl", t) for t in pool] + [("again.jsonl", t.upper()) for t in pool[:50]]  # repeats in the pool
    excluded = pool[:20]
    chosen = suggest(pairs, predictor, n=30, exclude=excluded)
    assert len(chosen) == 30
    keys = [normalise(s.text) for s in chosen]
    assert len(set(keys)) == 30, "a paragraph and its repeat are one paragraph"
    assert not set(keys) & {normalise(t) for t in excluded}, "labelled paragraphs are never suggested again"
    margins = _margins(predictor.predict_proba(pool))
    # every close call (top two within 0.5) is asked about; past those, spread over the pool may win
    close_calls = {normalise(pool[i]) for i in np.flatnonzero(margins < 0.5)} - {normalise(t) for t in excluded}
    assert len(close_calls) >= 3 and close_calls <= set(keys), "the hardest paragraphs are asked about"
    assert np.mean([s.margin for s in chosen]) < np.mean(margins) - 0.1
    for s in chosen:  # the guess is what classify would say
        assert s.guess == predictor.predict(s.text).label and 0 < s.score <= 1


def test_spread_pick_covers_the_pool_rather_than_one_corner():
    rng = np.random.default_rng(0)
    corner = rng.normal([5, 0, 0], 0.01, (50, 3))  # 50 near-duplicates, a little more uncertain
    others = rng.normal(0, 1, (20, 3)) + np.array([0, 5, 0])
    vectors = np.vstack([corner, others, [[0, 0, 5]]])
    uncertainty = np.array([0.9] * 50 + [0.8] * 20 + [0.7])
    picked = spread_pick(uncertainty, vectors, 3)
    assert picked[0] < 50 and sum(i < 50 for i in picked) == 1, "one of the near-duplicates is enough"
    assert 70 in picked, "a lone, fairly uncertain paragraph far from the rest is asked about"


def test_pool_reads_articles_and_jsonl(tmp_path):
    (tmp_path / "batch.jsonl").write_text('{"text": "Shelling hit the port."}\n\n{"text": "  "}\n', encoding="utf-8")
    pairs = list(pool_paragraphs([str(tmp_path / "batch.jsonl"), str(ROOT / "data" / "samples" / "article.txt")]))
    assert pairs[0] == (str(tmp_path / "batch.jsonl"), "Shelling hit the port.")
    assert len(pairs) == 1 + 12 and pairs[-1][0].endswith("article.txt")


def test_suggest_cli_writes_the_batch_and_refuses_to_overwrite(tmp_path, pool):
    source = tmp_path / "pool.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in pool[:120]), encoding="utf-8")
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(json.dumps({"text": pool[0], "label": "other"}) + "\n", encoding="utf-8")
    out = tmp_path / "batch.jsonl"
    result = runner.invoke(app, ["suggest", str(source), "-n", "10", "--exclude", str(labelled), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 10 and {"text", "guess", "score", "margin", "source"} <= set(rows[0])
    assert pool[0] not in {r["text"] for r in rows}
    again = runner.invoke(app, ["suggest", str(source), "-n", "10", "--output", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    bad = runner.invoke(app, ["suggest", str(source), "-n", "0", "--output", str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 2 and "-n must be at least 1" in bad.output

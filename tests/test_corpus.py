"""The corpus in data/ passes its own validator, and the validator catches what it must."""

import json
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def run_validator(data_dir):
    return subprocess.run([sys.executable, "scripts/validate_data.py", str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True)


def test_the_corpus_is_valid():
    result = run_validator(ROOT / "data")
    assert result.returncode == 0, result.stdout[-3000:]


def test_validator_catches_leaks_duplicates_and_bad_labels(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("source", "samples"))
    train_rows = (data / "train.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(train_rows[0])
    test_row = json.loads((data / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    leaked = dict(first, article_id=test_row["article_id"], text="A paragraph written only for this test.")
    copied = dict(first, text=test_row["text"])
    near = dict(first, text=first["text"] + " Officials added nothing.")
    bad_label = dict(first, text="An entirely new paragraph about nothing in particular.", label="weather")
    extra = [json.dumps(r) for r in (leaked, copied, near, bad_label)]
    (data / "train.jsonl").write_text("\n".join(train_rows + extra) + "\n", encoding="utf-8")
    result = run_validator(data)
    assert result.returncode == 1
    assert f"article {test_row['article_id']} is in several splits" in result.stdout
    assert "exact duplicate paragraphs" in result.stdout
    assert "near-duplicate paragraphs" in result.stdout
    assert "unknown label 'weather'" in result.stdout

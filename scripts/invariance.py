"""Does the label survive a change of sourcing? Writes reports/invariance.md and .json.

    python scripts/invariance.py                  # the shipped model
    python scripts/invariance.py --model DIR      # any model

Each event, toll and decision in data/invariance.jsonl (sentences written for this check, never
trained on) is put into five frames: bare; "..., the ministry said"; "According to ..."; the
whole sentence inside a direct quote; "X told Reuters that ...". The target is at most 3% of
labels flipping in any frame (issue 12). scripts/compare.py puts the same table in quality.md.

    python scripts/invariance.py --model DIR --paragraphs data/validation.jsonl

builds the statements from labelled paragraphs instead (`training.invariance.statements_from`):
the check to choose a recipe by, since data/invariance.jsonl is for reporting only.
"""

import argparse
import json
from pathlib import Path

from model import load_predictor
from training import read_examples
from training.invariance import flip_rates, load_statements, render, statements_from

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "invariance.jsonl")
    parser.add_argument("--paragraphs", type=Path, default=None,
                        help="build the statements from these labelled paragraphs (JSONL or CSV) instead of --data")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "invariance", help="writes OUTPUT.md and OUTPUT.json")
    args = parser.parse_args()
    if args.paragraphs:
        statements, source = statements_from(read_examples(args.paragraphs)), str(args.paragraphs)
    else:
        statements, source = load_statements(args.data), str(args.data)
    predictor = load_predictor(args.model)
    report = flip_rates(statements, lambda texts: [p.label for p in predictor.predict(texts)])
    name = str(args.model or "shipped")
    table = render(report, len(statements), name, source=source)
    print(table)
    args.output.with_suffix(".json").write_text(json.dumps({"model": name, "frames": report}, indent=2) + "\n", encoding="utf-8")
    args.output.with_suffix(".md").write_text("# Invariance under sourcing\n\n" + table, encoding="utf-8")


if __name__ == "__main__":
    main()

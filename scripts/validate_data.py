"""Check the corpus in data/: schema, labels, duplicates, article splits and counts.

    python scripts/validate_data.py [DATA_DIR]

Prints every violation and exits 1 if there is any, so CI fails on a bad corpus.
"""

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from training.data import normalise
from training.dedup import duplicate_pairs

ROOT = Path(__file__).resolve().parents[1]

LABELS = ("military_action", "funding_policy", "casualty_report", "attribution", "other")
SPLITS = ("train", "validation", "test")
MIN_PARAGRAPHS = 2000
MIN_PER_LABEL = {"military_action": 350, "funding_policy": 350, "casualty_report": 350, "attribution": 350, "other": 200}
MIN_ARTICLES = 150
ARTICLE_PARAGRAPHS = (8, 30)  # wire stories, live blogs and news-in-brief pages run to more, shorter paragraphs


def load(data: Path) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    for split in SPLITS:
        path = data / f"{split}.jsonl"
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
            except ValueError:
                problems.append(f"{where}: not JSON")
                continue
            for field in ("text", "label", "article_id"):
                if not isinstance(row.get(field), str) or not row[field].strip():
                    problems.append(f"{where}: missing or empty {field!r}")
            if row.get("label") not in LABELS:
                problems.append(f"{where}: unknown label {row.get('label')!r}")
            rows.append({**row, "split": split, "where": where})
    return rows, problems


def check(data: Path) -> list[str]:
    rows, problems = load(data)
    rows = [r for r in rows if isinstance(r.get("text"), str) and isinstance(r.get("article_id"), str)]

    splits_of = defaultdict(set)
    for r in rows:
        splits_of[r["article_id"]].add(r["split"])
    for article, splits in sorted(splits_of.items()):
        if len(splits) > 1:
            problems.append(f"article {article} is in several splits: {sorted(splits)}")

    exact = defaultdict(list)
    for r in rows:
        exact[normalise(r["text"])].append(r["where"])
    for places in exact.values():
        if len(places) > 1:
            problems.append(f"exact duplicate paragraphs: {', '.join(places)}")
    for i, j, similarity in duplicate_pairs([r["text"] for r in rows]):
        if normalise(rows[i]["text"]) != normalise(rows[j]["text"]):
            problems.append(f"near-duplicate paragraphs ({similarity:.2f}): {rows[i]['where']}, {rows[j]['where']}")

    counts = Counter(r["label"] for r in rows)
    if len(rows) < MIN_PARAGRAPHS:
        problems.append(f"{len(rows)} paragraphs; need at least {MIN_PARAGRAPHS}")
    for label, minimum in MIN_PER_LABEL.items():
        if counts[label] < minimum:
            problems.append(f"{counts[label]} {label} paragraphs; need at least {minimum}")
    if len(splits_of) < MIN_ARTICLES:
        problems.append(f"{len(splits_of)} articles; need at least {MIN_ARTICLES}")

    pages = data / "articles"
    low, high = ARTICLE_PARAGRAPHS
    for article in sorted(splits_of):
        page = pages / f"{article}.txt"
        if not page.is_file():
            problems.append(f"{page}: missing article page")
            continue
        n = len([p for p in page.read_text(encoding="utf-8").split("\n\n") if p.strip()])
        if not low <= n <= high:
            problems.append(f"{page}: {n} paragraphs; articles have {low} to {high}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=ROOT / "data")
    args = parser.parse_args()
    problems = check(args.data)
    for problem in problems:
        print(problem)
    rows, _ = load(args.data)
    per_split = Counter(r["split"] for r in rows)
    print(f"{len(rows)} paragraphs {dict(per_split)}; labels {dict(Counter(r['label'] for r in rows))}; "
          f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

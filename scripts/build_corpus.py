"""Build the corpus files from data/source/: the split JSONL files and the scraped-page articles.

    python scripts/build_corpus.py

Each article goes wholly to one split, chosen by a hash of its id (stable when articles are
added): about 80% train, 10% validation, 10% test. A paragraph that duplicates or nearly
duplicates an earlier one stays in its article page but is left out of the JSONL files.
"""

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from training.dedup import duplicate_pairs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
LABELS = ("military_action", "funding_policy", "casualty_report", "attribution", "other")
LINE = re.compile(r"^(" + "|".join(LABELS) + r") \| (\S.*)$")
SAMPLE_ARTICLE = "eu-kyiv-drone-night-2025"  # a test-split article, copied to data/samples/article.txt


def split_of(article_id: str) -> str:
    bucket = int(hashlib.sha256(article_id.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def parse(path: Path) -> dict:
    header, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    meta = dict(line.split(": ", 1) for line in header.splitlines() if line.strip())
    if meta.get("article_id") != path.stem:
        raise SystemExit(f"{path}: article_id {meta.get('article_id')!r} does not match the file name")
    paragraphs = []
    for number, line in enumerate(body.splitlines(), header.count("\n") + 3):
        if not line.strip():
            continue
        match = LINE.match(line.strip())
        if not match:
            raise SystemExit(f"{path}:{number}: expected 'label | text', got {line[:60]!r}")
        paragraphs.append({"label": match.group(1), "text": " ".join(match.group(2).split())})
    return {**meta, "paragraphs": paragraphs}


def main() -> None:
    articles = [parse(p) for p in sorted((DATA / "source").glob("*.txt"))]
    rows = []
    for article in articles:
        for i, p in enumerate(article["paragraphs"]):
            rows.append({
                "text": p["text"], "label": p["label"], "article_id": article["article_id"], "paragraph": i,
                "conflict": article.get("conflict", ""), "year": int(article.get("year", 0) or 0),
                "style": article.get("style", ""), "spelling": article.get("spelling", ""),
                "split": split_of(article["article_id"]),
            })
    dropped = {j for _, j, _ in duplicate_pairs([r["text"] for r in rows])}
    for j in sorted(dropped):
        print(f"left out (duplicate): {rows[j]['article_id']} #{rows[j]['paragraph']}: {rows[j]['text'][:70]!r}")
    for split in ("train", "validation", "test"):
        with (DATA / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for i, row in enumerate(rows):
                if row["split"] == split and i not in dropped:
                    f.write(json.dumps({k: v for k, v in row.items() if k != "split"}, ensure_ascii=False) + "\n")
    pages = DATA / "articles"
    pages.mkdir(exist_ok=True)
    for old in pages.glob("*.txt"):
        old.unlink()
    for article in articles:
        page = "\n\n".join(p["text"] for p in article["paragraphs"]) + "\n"
        (pages / f"{article['article_id']}.txt").write_text(page, encoding="utf-8")
    sample = pages / f"{SAMPLE_ARTICLE}.txt"
    if sample.exists():
        (DATA / "samples").mkdir(exist_ok=True)
        (DATA / "samples" / "article.txt").write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    kept = [row for i, row in enumerate(rows) if i not in dropped]
    write_counts(kept, DATA / "DATACARD.md")
    print(f"{len(articles)} articles, {len(kept)} paragraphs in the splits, {len(dropped)} left out")


def _table(title: str, counts: Counter) -> list[str]:
    lines = [f"| {title} | paragraphs |", "|---|---|"]
    return lines + [f"| {key} | {n} |" for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))] + [""]


def write_counts(rows: list[dict], card: Path) -> None:
    """Rewrite the counts section of the data card from the rows actually in the splits."""
    articles = Counter(r["split"] for r in rows if r["paragraph"] == 0)
    lines = [f"{len(rows)} paragraphs from {len({r['article_id'] for r in rows})} articles "
             f"(train {articles['train']}, validation {articles['validation']}, test {articles['test']} articles).", ""]
    lines += _table("label", Counter(r["label"] for r in rows))
    per_split = Counter((r["split"], r["label"]) for r in rows)
    lines += ["| split | " + " | ".join(LABELS) + " | all |", "|---" * (len(LABELS) + 2) + "|"]
    for split in ("train", "validation", "test"):
        cells = [str(per_split[(split, label)]) for label in LABELS]
        lines.append(f"| {split} | " + " | ".join(cells) + f" | {sum(per_split[(split, l)] for l in LABELS)} |")
    lines.append("")
    lines += _table("style", Counter(r["style"] for r in rows))
    lines += _table("decade", Counter(f"{r['year'] // 10 * 10}s" for r in rows))
    lines += _table("spelling", Counter(r["spelling"] for r in rows))
    lines += _table("conflict", Counter(r["conflict"] for r in rows))
    text = card.read_text(encoding="utf-8")
    start, end = "<!-- counts: written by scripts/build_corpus.py -->", "<!-- /counts -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    card.write_text(head + start + "\n" + "\n".join(lines) + end + tail, encoding="utf-8")


if __name__ == "__main__":
    main()

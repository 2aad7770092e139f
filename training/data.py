"""Labelled data: read JSONL or CSV, validate every row before training, and split.

A data path is either one file (a validation split is held out from it, stratified) or a
directory holding train.jsonl and validation.jsonl (or .csv), and optionally test.jsonl.
Every error names the file and line, so a hand-edited spreadsheet can be fixed quickly.
"""

import csv
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from model.errors import InputError

SPLITS = ("train", "validation", "test")
SUFFIXES = (".jsonl", ".csv")
MIN_EXAMPLES_PER_LABEL = 2  # fewer cannot be both learned from and stratified


def normalise(text: str) -> str:
    """Lowercased words only: two paragraphs that differ in spacing or punctuation compare equal."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _check_row(row, where: str) -> dict:
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object with 'text' and 'label', got {type(row).__name__}")
    for column in ("text", "label"):
        if column not in row:
            raise InputError(f"{where}: missing '{column}' column")
    text, label = row["text"], row["label"]
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: empty text")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f"{where}: empty or non-text label {label!r}")
    return {"text": text.strip(), "label": label.strip()}


def read_examples(path: Path) -> list[dict]:
    """Read and validate one JSONL or CSV file into [{'text', 'label'}] rows."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {path}")
    if path.suffix not in SUFFIXES:
        raise InputError(f"{path}: unsupported data format {path.suffix!r}; use .jsonl or .csv")
    rows = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            if path.suffix == ".csv":
                reader = csv.DictReader(f)
                missing = {"text", "label"} - set(reader.fieldnames or [])
                if missing:
                    raise InputError(f"{path}:1: missing {', '.join(sorted(missing))} column in the header")
                for row in reader:
                    rows.append(_check_row(row, f"{path}:{reader.line_num}"))
            else:
                for number, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except ValueError as exc:
                        raise InputError(f"{path}:{number}: malformed JSON ({exc.msg})") from None
                    rows.append(_check_row(row, f"{path}:{number}"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not rows:
        raise InputError(f"{path}: no examples")
    return rows


@dataclass
class Splits:
    """Validated examples per split, the label set, and a hash of the data they came from."""

    train: list[dict]
    validation: list[dict]
    test: list[dict]
    labels: list[str]
    sha256: str

    def sizes(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in SPLITS if getattr(self, name)}

    def dataset(self, split: str, label2id: dict[str, int] | None = None):
        """The split as a `datasets.Dataset` (columns text, label, and labels as ids if a map is given)."""
        from datasets import Dataset

        rows = getattr(self, split)
        data = {"text": [r["text"] for r in rows], "label": [r["label"] for r in rows]}
        if label2id is not None:
            data["labels"] = [label2id[r["label"]] for r in rows]
        return Dataset.from_dict(data)


def _split_file(directory: Path, split: str) -> Path | None:
    for suffix in SUFFIXES:
        if (directory / f"{split}{suffix}").is_file():
            return directory / f"{split}{suffix}"
    return None


def _hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _check_no_overlap(splits: dict[str, list[dict]]) -> None:
    seen = {normalise(r["text"]): r["text"] for r in splits["train"]}
    for name in ("validation", "test"):
        shared = [r["text"] for r in splits[name] if normalise(r["text"]) in seen]
        if shared:
            example = shared[0][:80] + ("..." if len(shared[0]) > 80 else "")
            raise InputError(f"{len(shared)} paragraphs are in both train and {name}, e.g. {example!r}")


def _check_labels(train: list[dict], others: list[dict], source: str) -> list[str]:
    counts = Counter(r["label"] for r in train)
    if len(counts) < 2:
        raise InputError(f"{source}: only one label ({next(iter(counts))!r}); a classifier needs two or more")
    rare = {label: n for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL}
    if rare:
        shown = ", ".join(f"{label!r} has {n}" for label, n in sorted(rare.items()))
        raise InputError(f"{source}: too few training examples ({shown}; need {MIN_EXAMPLES_PER_LABEL})")
    unseen = sorted({r["label"] for r in others} - set(counts))
    if unseen:
        raise InputError(f"{source}: labels {unseen} are in validation/test but never in train")
    return sorted(counts)


def load_splits(path: Path, validation_fraction: float = 0.1, seed: int = 42) -> Splits:
    """Read, validate and split the data at `path` (a file or a directory of split files)."""
    path = Path(path)
    if path.is_dir():
        files = {split: _split_file(path, split) for split in SPLITS}
        if files["train"] is None:
            raise InputError(f"{path}: no train.jsonl or train.csv in the directory")
        splits = {split: read_examples(f) if f else [] for split, f in files.items()}
        used = [f for f in files.values() if f]
        if not splits["validation"]:
            splits["train"], splits["validation"] = _hold_out(splits["train"], validation_fraction, seed, path)
    elif path.exists():
        used = [path]
        rows = read_examples(path)
        _check_labels(rows, [], str(path))
        train, validation = _hold_out(rows, validation_fraction, seed, path)
        splits = {"train": train, "validation": validation, "test": []}
    else:
        raise InputError(f"data not found: {path}")
    labels = _check_labels(splits["train"], splits["validation"] + splits["test"], str(path))
    _check_no_overlap(splits)
    return Splits(**splits, labels=labels, sha256=_hash(used))


def _hold_out(rows: list[dict], fraction: float, seed: int, source: Path) -> tuple[list[dict], list[dict]]:
    """Stratified hold-out, so every label is seen in validation when it can be."""
    from sklearn.model_selection import train_test_split

    labels = [r["label"] for r in rows]
    n_validation = max(len(set(labels)), round(len(rows) * fraction))
    if n_validation >= len(rows) - len(set(labels)):
        raise InputError(f"{source}: {len(rows)} examples are too few to hold out a validation split")
    stratify = labels if min(Counter(labels).values()) >= 2 else None
    train, validation = train_test_split(rows, test_size=n_validation, random_state=seed, stratify=stratify)
    return train, validation


def label_maps(labels: list[str]) -> tuple[dict[int, str], dict[str, int]]:
    """id2label and label2id for a sorted label list: the mapping saved in the model's config."""
    id2label = dict(enumerate(labels))
    return id2label, {label: i for i, label in id2label.items()}

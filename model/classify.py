"""Classifying whole articles: split into paragraphs, label each, yield rows as they are ready."""

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from model.articles import split_paragraphs
from model.errors import InputError
from model.predictor import Prediction, Predictor, predict

UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class ArticleParagraph:
    index: int  # 0-based position of the paragraph in the article
    text: str
    prediction: Prediction


def classify_article(text: str, predictor: Predictor | None = None, lines: bool = False) -> list[ArticleParagraph]:
    """Split an article into paragraphs and label each (default: with the shipped model)."""
    paragraphs = split_paragraphs(text, lines=lines)
    if not paragraphs:
        return []
    predictions = predictor.predict(paragraphs) if predictor is not None else predict(paragraphs)
    return [ArticleParagraph(i, p, pred) for i, (p, pred) in enumerate(zip(paragraphs, predictions))]


def read_source(source: str) -> str:
    """Read an article file (or stdin for "-") as UTF-8, refusing what is not text."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.exists():
        kind = "broken symbolic link" if path.is_symlink() else "file not found"
        raise InputError(f"{source}: {kind}")
    if path.is_dir():
        raise InputError(f"{source}: is a directory, not an article file")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start}); convert it with iconv first") from None


def classify_sources(
    sources: Iterable[str], predictor: Predictor, lines: bool = False, min_confidence: float = 0.0
) -> Iterator[dict]:
    """Yield one output row per paragraph, article by article, in the CLI's row schema."""
    for source in sources:
        text = read_source(source)
        paragraphs = classify_article(text, predictor, lines=lines)
        if not paragraphs:
            raise InputError(f"{source}: no paragraphs (the file is empty or only whitespace)")
        name = "<stdin>" if source == "-" else source
        for p in paragraphs:
            label = p.prediction.label if p.prediction.score >= min_confidence else UNCERTAIN
            yield {
                "source": name,
                "paragraph": p.index,
                "text": p.text,
                "label": label,
                "score": round(p.prediction.score, 6),
                "scores": {k: round(v, 6) for k, v in p.prediction.scores.items()},
            }

"""Classifying whole articles: split into paragraphs, label each, yield rows as they are ready."""

import io
import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from model.articles import iter_paragraphs, split_paragraphs
from model.errors import InputError
from model.predictor import Prediction, Predictor, predict

UNCERTAIN = "uncertain"
CHUNK_PARAGRAPHS = 256  # paragraphs read and labelled at a time, so memory stays flat on huge inputs


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


def open_source(source: str) -> TextIO:
    """Open an article file (or stdin for "-") as a UTF-8 text stream, refusing what is not text.

    Bytes that are not UTF-8 are replaced by U+FFFD (and `classify_sources` warns), so one bad
    byte in a scraped page does not lose the rest of it.
    """
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    path = Path(source)
    if not path.exists():
        kind = "broken symbolic link" if path.is_symlink() else "file not found"
        raise InputError(f"{source}: {kind}")
    if path.is_dir():
        raise InputError(f"{source}: is a directory, not an article file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror})") from None
    if b"\x00" in raw.peek(8192)[:8192]:
        raw.close()
        raise InputError(f"{source}: binary file, not text")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")


def classify_sources(
    sources: Iterable[str],
    predictor: Predictor,
    lines: bool = False,
    min_confidence: float = 0.0,
    chunk: int = CHUNK_PARAGRAPHS,
    warn=lambda message: print(f"warning: {message}", file=sys.stderr),
) -> Iterator[dict]:
    """Yield one output row per paragraph, article by article, reading and labelling in chunks."""
    for source in sources:
        name = "<stdin>" if source == "-" else source
        count, replaced = 0, False
        with open_source(source) as stream:
            paragraphs = iter_paragraphs(stream, lines=lines)
            while batch := list(itertools.islice(paragraphs, chunk)):
                replaced = replaced or any("\ufffd" in p for p in batch)
                for text, prediction in zip(batch, predictor.predict(batch)):
                    label = prediction.label if prediction.score >= min_confidence else UNCERTAIN
                    yield {
                        "source": name,
                        "paragraph": count,
                        "text": text,
                        "label": label,
                        "score": round(prediction.score, 6),
                        "scores": {k: round(v, 6) for k, v in prediction.scores.items()},
                    }
                    count += 1
        if replaced:
            warn(f"{name}: not valid UTF-8 in places; undecodable bytes were replaced by U+FFFD")
        if count == 0:
            raise InputError(f"{source}: no paragraphs (the file is empty or only whitespace)")

"""Classifying whole articles: find the files, split each into paragraphs, label, yield rows.

Sources are plain-text articles, HTML pages (recognised by content) or folders of them. Text is
read as a stream and labelled in chunks, so memory stays flat however large the input; rows
come out as soon as their chunk is labelled.
"""

import io
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from model.articles import iter_paragraphs, split_paragraphs
from model.errors import ConflictParagraphsError, InputError
from model.fetch import fetch, is_url
from model.pages import html_paragraphs, looks_like_html
from model.predictor import BACKGROUND_LABEL, DEFAULT_BATCH_SIZE, Prediction, Predictor, predict

UNCERTAIN = "uncertain"
ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
CHUNK_PARAGRAPHS = 256  # paragraphs read and labelled at a time, so memory stays flat on huge inputs
CHUNK_CHARS = 1 << 20  # ... or fewer, once they hold this much text (a few giant paragraphs)
NON_CONTENT_LABELS = (BACKGROUND_LABEL, UNCERTAIN)  # never an article's dominant label while it has content paragraphs


@dataclass(frozen=True)
class ArticleParagraph:
    index: int  # 0-based position of the paragraph in the article
    text: str
    prediction: Prediction


def classify_article(text: str, predictor: Predictor | None = None, lines: bool = False) -> list[ArticleParagraph]:
    """Split an article into paragraphs and label each.

    Args:
        text: the article as plain text; paragraphs are separated by blank lines (by line breaks
            when there is no blank line at all).
        predictor: the model to label with; default: the shipped model, loaded once.
        lines: read every line as one paragraph.

    Returns:
        One ArticleParagraph (position, text, prediction) per paragraph, in reading order; an
        empty list for a text with no paragraphs.
    """
    paragraphs = split_paragraphs(text, lines=lines)
    if not paragraphs:
        return []
    predictions = predictor.predict(paragraphs) if predictor is not None else predict(paragraphs)
    return [ArticleParagraph(i, p, pred) for i, (p, pred) in enumerate(zip(paragraphs, predictions))]


def expand_sources(paths: Iterable[str], recursive: bool = False) -> list[str]:
    """Files as given, and for each folder its .txt/.html/.htm files (sorted; sub-folders if recursive)."""
    sources = []
    for path in paths:
        if path != "-" and Path(path).is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(str(p) for p in Path(path).glob(pattern) if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
            if not found:
                raise InputError(f"{path}: no {', '.join(ARTICLE_SUFFIXES)} files in the folder")
            sources += found
        else:
            sources.append(path)
    return sources


def check_readable(source: str) -> None:
    """Fail now if an article file cannot be read, before a model loads.

    Standard input, pipes (/dev/stdin, <(...)) and URLs can be read once only, so they are left alone.
    """
    if source == "-" or is_url(source) or _is_stream(source):
        return
    open_source(source).close()


def _is_stream(source: str) -> bool:
    """A pipe, FIFO or device: it can be read once only."""
    try:
        return not stat.S_ISREG(os.stat(source).st_mode)
    except OSError:
        return False


def open_source(source: str) -> TextIO:
    """Open an article file (stdin for "-", a web page for an http(s) URL) as text, refusing what is not text.

    Bytes that are not UTF-8 are replaced by U+FFFD (and `classify_sources` warns), so one bad
    byte in a scraped page does not lose the rest of it.
    """
    if source == "-":
        return _text_stream(sys.stdin.buffer, "<stdin>")
    if is_url(source):
        return io.StringIO(fetch(source))
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
    return _text_stream(raw, source)


def _text_stream(raw, source: str) -> TextIO:
    """Decode a byte stream as text (UTF-8, or UTF-16 with a byte-order mark); refuse binary data."""
    if not hasattr(raw, "peek"):
        raw = io.BufferedReader(raw)
    try:
        start = raw.peek(8192)[:8192]
    except OSError as exc:
        raw.close()
        raise InputError(f"{source}: read error ({exc.strerror or exc})") from None
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark (Windows "Unicode" text)
        return io.TextIOWrapper(raw, encoding="utf-16", errors="replace")
    if b"\x00" in start:
        raw.close()
        raise InputError(f"{source}: binary file, not text")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")


def source_paragraphs(stream: TextIO, lines: bool = False, keep_boilerplate: bool = False, name: str = "",
                      warn: Callable[[str], None] | None = None) -> Iterator[str]:
    """The paragraphs of one source: extracted from HTML when it looks like a page, else split as text."""
    head = stream.read(4096)
    if looks_like_html(head):
        yield from html_paragraphs(head + stream.read(), keep_boilerplate=keep_boilerplate, source=name, warn=warn)
    else:
        yield from iter_paragraphs(stream, lines=lines, head=head)


def classify_sources(
    sources: Iterable[str],
    predictor: Predictor,
    lines: bool = False,
    min_confidence: float = 0.0,
    keep_boilerplate: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_error: Callable[[str, ConflictParagraphsError], None] | None = None,
    warn: Callable[[str], None] = lambda message: print(f"warning: {message}", file=sys.stderr),
    explain: bool = False,
) -> Iterator[dict]:
    """Yield one row per paragraph, article by article, reading and labelling in chunks.

    A failing source raises, unless `on_error` is given: then it is reported there and skipped.
    With `explain`, each row also carries "explanation": the weighted spans of model.explain.
    """
    for source in sources:
        try:
            yield from _classify_one(source, predictor, lines, min_confidence, keep_boilerplate, batch_size, warn, explain)
        except ConflictParagraphsError as exc:
            if on_error is None:
                raise
            on_error(source, exc)


def _classify_one(source, predictor, lines, min_confidence, keep_boilerplate, batch_size, warn, explain) -> Iterator[dict]:
    name = "<stdin>" if source == "-" else source
    count, replaced = 0, False
    with open_source(source) as stream:
        paragraphs = _reported_read_errors(
            source_paragraphs(stream, lines=lines, keep_boilerplate=keep_boilerplate, name=name, warn=warn), name)
        for batch in _chunks(paragraphs):
            replaced = replaced or any("\ufffd" in p for p in batch)
            explanations = predictor.explain(batch, batch_size=batch_size) if explain else [None] * len(batch)
            for text, prediction, why in zip(batch, predictor.predict(batch, batch_size=batch_size), explanations):
                label = prediction.label if prediction.score >= min_confidence else UNCERTAIN
                row = {
                    "source": name,
                    "paragraph": count,
                    "text": text,
                    "label": label,
                    "score": round(prediction.score, 6),
                    "scores": {k: round(v, 6) for k, v in prediction.scores.items()},
                }
                if why is not None:
                    row["explanation"] = [span.to_dict() for span in why.spans]
                yield row
                count += 1
    if replaced:
        warn(f"{name}: not valid UTF-8 in places; undecodable bytes were replaced by U+FFFD")
    if count == 0:
        raise InputError(f"{source}: no paragraphs (the file is empty or only whitespace)")


def _chunks(paragraphs: Iterator[str]) -> Iterator[list[str]]:
    """Lists of at most CHUNK_PARAGRAPHS paragraphs and, past the first, CHUNK_CHARS characters."""
    chunk: list[str] = []
    size = 0
    for paragraph in paragraphs:
        if chunk and (len(chunk) == CHUNK_PARAGRAPHS or size + len(paragraph) > CHUNK_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(paragraph)
        size += len(paragraph)
    if chunk:
        yield chunk


def _reported_read_errors(paragraphs: Iterator[str], name: str) -> Iterator[str]:
    """A failure while reading (not only while opening) becomes an error that names the source."""
    try:
        yield from paragraphs
    except OSError as exc:
        raise InputError(f"{name}: read error ({exc.strerror or exc})") from None


def summarise(rows: list[dict], labels: list[str]) -> dict:
    """One article's summary: paragraph count, count per label, and its dominant content label."""
    counts = Counter(row["label"] for row in rows)
    per_label = {label: counts.get(label, 0) for label in labels + ([UNCERTAIN] if counts.get(UNCERTAIN) else [])}
    content = {label: n for label, n in per_label.items() if label not in NON_CONTENT_LABELS and n}
    ranked = content or {label: n for label, n in per_label.items() if n}
    dominant = max(ranked, key=lambda label: (ranked[label], -list(per_label).index(label)))
    return {"source": rows[0]["source"], "paragraphs": len(rows), "labels": per_label, "dominant": dominant}


def by_article(rows: Iterable[dict]) -> Iterator[list[dict]]:
    """Group the row stream into one list per article, as each article ends.

    An article starts at its paragraph 0, so the same file named twice stays two articles.
    """
    article: list[dict] = []
    for row in rows:
        if row["paragraph"] == 0 and article:
            yield article
            article = []
        article.append(row)
    if article:
        yield article

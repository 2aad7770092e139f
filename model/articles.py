"""Article splitting: a page of text becomes the list of paragraphs the model labels one by one."""

import io
import itertools
import re
from collections.abc import Iterator
from typing import TextIO

_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def split_paragraphs(text: str, lines: bool = False) -> list[str]:
    """Split an article into paragraphs.

    Paragraphs are separated by blank lines. When the text has no blank line at all
    (scraper output often puts one paragraph per line), every line is a paragraph.
    With `lines=True` every non-empty line is a paragraph whatever the layout.
    Whitespace inside a paragraph is collapsed, so wrapped lines join into one.
    """
    if not isinstance(text, str):
        raise TypeError(f"article text must be a str, not {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if lines or not _BLANK_LINE.search(text.strip()):
        blocks = text.split("\n")
    else:
        blocks = _BLANK_LINE.split(text)
    paragraphs = (" ".join(block.split()) for block in blocks)
    return [p for p in paragraphs if p]


PEEK_CHARS = 1 << 20  # the layout (blank-line or line-per-paragraph) is decided from the first MiB
MAX_PARAGRAPH_CHARS = 1 << 18  # a longer paragraph (a file with no line breaks) is read as 256 KiB pieces


def iter_paragraphs(stream: TextIO, lines: bool = False, head: str = "") -> Iterator[str]:
    """Yield the paragraphs of a text stream as `split_paragraphs` would, in bounded memory.

    Whether blank lines separate paragraphs is decided from the first MiB, so a file of
    any size is read with constant memory; below that size the result equals split_paragraphs.
    Lines are read in pieces of at most MAX_PARAGRAPH_CHARS, and a paragraph that grows past it
    is cut there, so not even a file without a single line break can make memory grow.
    `head` is text already read from the stream (to sniff its type), taken as its start.
    """
    head += stream.read(PEEK_CHARS - len(head))
    if len(head) < PEEK_CHARS:
        yield from split_paragraphs(head, lines=lines)
        return
    head += stream.readline(MAX_PARAGRAPH_CHARS)  # end the head on a line boundary when there is one
    by_line = lines or not _BLANK_LINE.search(head.replace("\r\n", "\n").replace("\r", "\n").strip())
    block: list[str] = []
    size = 0
    sniffed = io.StringIO(head)
    for line in itertools.chain(iter(lambda: sniffed.readline(MAX_PARAGRAPH_CHARS), ""),
                                iter(lambda: stream.readline(MAX_PARAGRAPH_CHARS), "")):
        if by_line:
            yield from split_paragraphs(line, lines=True)
        elif line.strip():
            block.append(line)
            size += len(line)
            if size >= MAX_PARAGRAPH_CHARS:
                yield " ".join("".join(block).split())
                block, size = [], 0
        elif block:
            yield " ".join("".join(block).split())
            block, size = [], 0
    if block:
        yield " ".join("".join(block).split())

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


def iter_paragraphs(stream: TextIO, lines: bool = False, head: str = "") -> Iterator[str]:
    """Yield the paragraphs of a text stream as `split_paragraphs` would, without reading it all.

    Whether blank lines separate paragraphs is decided from the first MiB, so a file of
    any size is read with constant memory; below that size the result equals split_paragraphs.
    `head` is text already read from the stream (to sniff its type), taken as its start.
    """
    head += stream.read(PEEK_CHARS - len(head))
    if len(head) < PEEK_CHARS:
        yield from split_paragraphs(head, lines=lines)
        return
    head += stream.readline()  # end the head on a line boundary
    by_line = lines or not _BLANK_LINE.search(head.replace("\r\n", "\n").replace("\r", "\n").strip())
    block: list[str] = []
    for line in itertools.chain(io.StringIO(head), stream):
        if by_line:
            yield from split_paragraphs(line, lines=True)
        elif line.strip():
            block.append(line)
        elif block:
            yield " ".join("".join(block).split())
            block = []
    if block:
        yield " ".join("".join(block).split())

"""Article splitting: a page of text becomes the list of paragraphs the model labels one by one."""

import re

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

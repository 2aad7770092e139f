from hypothesis import given, settings
from hypothesis import strategies as st

from model.articles import split_paragraphs


def test_blank_lines_separate_paragraphs_and_wrapped_lines_join():
    text = "First paragraph\nwrapped here.\n\nSecond one.\n \n\n\nThird.\n"
    assert split_paragraphs(text) == ["First paragraph wrapped here.", "Second one.", "Third."]


def test_one_paragraph_per_line_when_there_is_no_blank_line():
    assert split_paragraphs("Headline\nBody one.\r\nBody two.") == ["Headline", "Body one.", "Body two."]


def test_lines_mode_splits_every_line_even_with_blank_lines():
    assert split_paragraphs("a\nb\n\nc", lines=True) == ["a", "b", "c"]


def test_empty_and_whitespace_give_no_paragraphs():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\n  ") == []


def test_non_str_is_refused():
    import pytest

    with pytest.raises(TypeError):
        split_paragraphs(None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.booleans())
def test_split_never_raises_and_keeps_every_word(text, lines):
    paragraphs = split_paragraphs(text, lines=lines)
    assert all(p and p == p.strip() for p in paragraphs)
    assert all("\n" not in p for p in paragraphs)
    assert " ".join(paragraphs).split() == text.replace("\r", "\n").split()


def test_iter_paragraphs_equals_split_paragraphs_on_small_and_large_texts():
    import io

    from model.articles import PEEK_CHARS, iter_paragraphs

    small = "One.\n\nTwo\nwrapped.\n\n\nThree."
    assert list(iter_paragraphs(io.StringIO(small))) == split_paragraphs(small)
    blocks = "\n\n".join(f"Paragraph {i} runs\nover two lines." for i in range(PEEK_CHARS // 20))
    assert list(iter_paragraphs(io.StringIO(blocks))) == split_paragraphs(blocks)
    lines = "\n".join(f"Line {i} is a paragraph." for i in range(PEEK_CHARS // 15))
    assert list(iter_paragraphs(io.StringIO(lines))) == split_paragraphs(lines)


def test_a_50_mb_file_is_read_as_a_stream(tmp_path):
    from model.articles import iter_paragraphs

    big = tmp_path / "big.txt"
    paragraph = ("Shelling continued along the front line for a third day. " * 8).strip()
    with big.open("w", encoding="utf-8") as f:
        while f.tell() < 50_000_000:
            f.write(paragraph + "\n\n")
    with big.open(encoding="utf-8") as stream:
        paragraphs = iter_paragraphs(stream)
        first = [next(paragraphs) for _ in range(3)]
        assert first == [paragraph] * 3
        assert stream.tell() < 5_000_000, "only the head of the file has been read"


def test_a_stream_without_line_breaks_is_read_in_bounded_pieces():
    import io

    from model.articles import MAX_PARAGRAPH_CHARS, iter_paragraphs

    text = ("word " * ((3 << 20) // 5)).strip()  # 3 MiB, no newline at all
    pieces = list(iter_paragraphs(io.StringIO(text)))
    assert len(pieces) >= 10 and all(len(p) <= MAX_PARAGRAPH_CHARS for p in pieces)
    assert " ".join(pieces).count("word") >= len(text.split()) - len(pieces)  # at most a word cut at each edge
    blocks = "\n".join(["long line " * 1000] * 400) + "\n\nshort one\n"  # 4 MiB in one blank-line block
    cut = list(iter_paragraphs(io.StringIO(blocks)))
    assert cut[-1] == "short one" and all(len(p) <= 2 * MAX_PARAGRAPH_CHARS for p in cut)

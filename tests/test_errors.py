import pytest

from model.errors import InputError, first_line


@pytest.mark.parametrize(
    "exc, expected",
    [
        (OSError("no such file\nTraceback details"), "no such file"),
        (ValueError("\n  \n  second line is the first with text\nthird"), "second line is the first with text"),
        (KeyError(), "KeyError"),  # an empty message: the type name, never an IndexError
        (RuntimeError("   "), "RuntimeError"),
    ],
)
def test_first_line_of_an_exception(exc, expected):
    assert first_line(exc) == expected


def test_errors_carry_their_exit_codes():
    assert InputError("x").exit_code == 2 and isinstance(InputError("x"), ValueError)

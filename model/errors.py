"""The errors a user can cause or meet, each carrying a one-line message with the values in it.

The CLI turns them into `error: <message>` and an exit code (2: bad usage or input,
1: a failure at run time); the Python API simply raises them.
"""


def first_line(exc: BaseException) -> str:
    """The first non-blank line of an exception's message, for a one-line error; its type name when the message is empty."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


class ConflictParagraphsError(Exception):
    """Base class: a failure the user should read as one line, not as a traceback."""

    exit_code = 1


class InputError(ConflictParagraphsError, ValueError):
    """Bad usage or input: a missing file, a malformed line, an unusable model directory."""

    exit_code = 2


class RunError(ConflictParagraphsError, RuntimeError):
    """Something failed while running on valid input (a write failed, training diverged)."""

    exit_code = 1

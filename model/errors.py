"""The errors a user can cause or meet, each carrying a one-line message with the values in it.

The CLI turns them into `error: <message>` and an exit code (2: bad usage or input,
1: a failure at run time); the Python API simply raises them.
"""


class ConflictParagraphsError(Exception):
    """Base class: a failure the user should read as one line, not as a traceback."""

    exit_code = 1


class InputError(ConflictParagraphsError, ValueError):
    """Bad usage or input: a missing file, a malformed line, an unusable model directory."""

    exit_code = 2


class RunError(ConflictParagraphsError, RuntimeError):
    """Something failed while running on valid input (a write failed, training diverged)."""

    exit_code = 1

"""The `conflict-paragraphs` command line: thin Typer commands over the importable library.

Each command checks its arguments, calls library functions and writes the result with
`model.cli.output`. Every expected failure is one line on stderr, `error: ...`, with exit code 2
for bad usage or input and 1 for a failure at run time; `--debug` shows the traceback instead.
All of that is handled once, in `model.cli.app`.

To add a group of commands, write `model/cli/<group>.py` whose functions register with
`@app.command()` on `from model.cli.app import app`, and import that module here.
"""

from model.cli import classify, train, export, adapt, dataset  # noqa: F401  (importing registers their commands, listed in this order)
from model.cli.app import app, main

__all__ = ["app", "main"]

"""The one Typer app that every command group registers on, its --debug state, and the one place
where failures become a line on stderr and an exit code.

Commands raise; `OneLineErrors` turns what they raise (`reported_errors`) and what Typer raises
while parsing their arguments (bad usage) into `error: ...` and an exit code: 2 for bad usage or
input, 1 for a failure at run time, 130 for Ctrl-C, 143 for SIGTERM. `--debug` shows the
traceback instead.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from model.errors import ConflictParagraphsError

PROGRAM = "conflict-paragraphs"
_state = {"debug": False}


class Terminated(KeyboardInterrupt):
    """SIGTERM (a `kill`, a scheduler's time limit) unwinds like Ctrl-C, so staging files are removed."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def print_error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn every failure inside a command into one line and an exit code; keep tracebacks for --debug."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):  # exit codes, and bad usage of a sub-command
        raise
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Terminated:
        print_error("terminated")
        raise typer.Exit(143) from None
    except KeyboardInterrupt:
        print_error("interrupted")
        raise typer.Exit(130) from None
    except ConflictParagraphsError as exc:
        if _state["debug"]:
            raise
        print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:  # an unexpected failure is still one line unless --debug
        if _state["debug"]:
            raise
        print_error(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")
        raise typer.Exit(1) from None


class OneLineErrors(TyperGroup):
    """The app's command group: every command runs under `reported_errors`, and bad usage is one
    line like every other error, not Typer's usage box."""

    def invoke(self, ctx: typer.Context) -> Any:
        with reported_errors():
            return super().invoke(ctx)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            print_error("interrupted")
            sys.exit(130)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" or not hasattr(exc, "format_message"):
                exc.show()
            else:
                print_error(" ".join(exc.format_message().split()))
            sys.exit(getattr(exc, "exit_code", 2))
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    name=PROGRAM,
    cls=OneLineErrors,
    help="Label the paragraphs of conflict news: military_action, funding_policy, casualty_report, attribution, other.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Options that several commands share, written once.
ModelOption = Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")]
Backend = Enum("Backend", {name: name for name in ("auto", "onnx", "torch")}, type=str)  # load_predictor's choices
BackendOption = Annotated[Backend, typer.Option(help="auto (ONNX when the model is exported, else torch), onnx or torch.")]


@app.callback()
def root(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks and third-party warnings.")] = False) -> None:
    _state["debug"] = debug
    if not debug:
        _silence_third_party_warnings()


def _silence_third_party_warnings() -> None:
    """Keep libraries' warnings and advice off the terminal (torch, transformers, datasets, ONNX Runtime).

    They address the developers of this package, not its users; `--debug` shows them again.
    Set before those libraries are imported, which is when they read their verbosity.
    """
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime.quantization warns on the root logger
    for variable in ("TRANSFORMERS_VERBOSITY", "DATASETS_VERBOSITY"):
        os.environ.setdefault(variable, "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def main() -> None:
    """The console script: SIGTERM unwinds like Ctrl-C and output never crashes on an encoding, then the app runs."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    for stream in (sys.stdout, sys.stderr):  # a Windows code page cannot crash output: what it lacks is replaced
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    typer.main.get_command(app).main(args=sys.argv[1:], prog_name=PROGRAM)

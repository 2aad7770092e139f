"""Writing outputs so that an interrupted run never leaves half of one looking complete, nor its scratch behind.

A file is written to a scratch name and renamed into place (`atomic_text_file`); a directory
(a trained model, a baseline report) is built in a staging directory beside its target and
swapped in whole (`staging_dir`, `replace_dir`). Scratch that a killed process could not remove
is removed by the next run (`remove_stale`).
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at `path` only when the block finishes without error."""
    path = Path(path)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(scratch, 0o666 & ~_umask())
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def staging_dir(output: Path) -> Path:
    """A directory beside the output, shared by every process of one (possibly distributed) run.

    Staging left by runs whose process is gone (killed with SIGKILL, or a power cut) is removed first.
    """
    output = Path(output)
    remove_stale(output.parent, f".{output.name}.partial-")
    run = os.environ.get("TORCHELASTIC_RUN_ID", "")
    run = f"{run}-{os.getppid()}" if run else str(os.getpid())
    return output.parent / f".{output.name}.partial-{run}"


def replace_dir(new: Path, output: Path) -> None:
    """Put `new` at `output`; the old output is removed only once the new one is in place."""
    new, output = Path(new), Path(output)
    old = output.parent / f".{output.name}.old-{os.getpid()}"
    if output.exists():
        output.rename(old)
    try:
        new.rename(output)
    except OSError:
        if old.exists():
            old.rename(output)
        raise
    shutil.rmtree(old, ignore_errors=True)


def remove_stale(directory: Path, prefix: str) -> None:
    """Remove the `prefix...-PID` scratch entries in `directory` whose process no longer runs.

    A run killed with SIGKILL (or by a power cut) cannot clean up; the next run does it for it.
    """
    for stale in Path(directory).glob(f"{prefix}*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True

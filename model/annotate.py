"""A terminal labeller: one paragraph at a time, the model's guess preselected, one key per answer.

Every answer is appended to the output and flushed to disk before the next paragraph shows, so
a killed session loses nothing; running again skips what is already labelled (or skipped, which
is kept in `<output>.skipped`), so it resumes where it stopped. Keys come from the terminal in
cbreak mode, or, when standard input is not a terminal, as whitespace-separated words
(`1`, `m`, `enter`, `u`, `s`, `?`, `q`): the scripted mode that tests and batch jobs use.
"""

import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import InputError
from model.suggest import jsonl_rows

COMMAND_KEYS = {"enter": "accept the guess", "u": "undo", "s": "skip", "?": "definitions", "q": "quit"}
DEFINITIONS = {  # one line each, after the labelling guide (data/LABELLING.md)
    "military_action": "armed operations as events: attacks, strikes, clashes, advances, withdrawals, sieges, deployments",
    "casualty_report": "the human cost: killed, wounded, missing, detained or displaced, tolls and their updates",
    "funding_policy": "money, arms and decisions: budgets, arms supplies, sanctions, aid pledges, laws, policy shifts",
    "attribution": "who says, claims, blames or denies, when the claim itself is the news (a source tag is not)",
    "other": "page furniture, headlines, captions, and background that reports none of the above",
}


@dataclass
class Task:
    text: str
    guess: str | None  # the model's label, accepted with Enter


@dataclass
class Session:
    """The answers of one run over a batch, written as they are given."""

    tasks: list[Task]
    labels: list[str]
    output: Path
    done: int = 0  # tasks answered or skipped, in this run
    labelled: int = 0
    skipped: int = 0
    history: list[tuple[Path, int]] = field(default_factory=list)  # (file, its size before) per answer

    @property
    def skipped_file(self) -> Path:
        return skipped_path(self.output)

    def answer(self, label: str | None) -> None:
        """Append the current task with `label` (None: skipped) and flush it to disk."""
        target = self.output if label is not None else self.skipped_file
        row = {"text": self.tasks[self.done].text, "label": label} if label is not None else {"text": self.tasks[self.done].text}
        with target.open("a", encoding="utf-8") as out:
            self.history.append((target, out.tell()))
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.done += 1
        self.labelled += label is not None
        self.skipped += label is None

    def undo(self) -> bool:
        """Take back this run's last answer (or skip) by cutting it off its file."""
        if not self.history:
            return False
        target, size = self.history.pop()
        with target.open("r+b") as out:
            out.truncate(size)
        self.done -= 1
        was_label = target == self.output
        self.labelled -= was_label
        self.skipped -= not was_label
        return True


def skipped_path(output: Path) -> Path:
    return output.with_name(output.name + ".skipped")


def load_tasks(batch: Path, output: Path) -> tuple[list[Task], int]:
    """The batch's paragraphs not yet labelled or skipped in `output`, and how many were already done."""
    from training.data import normalise

    done = {normalise(text) for path in (output, skipped_path(output)) if path.exists() for text in _texts(path)}
    tasks, before = [], 0
    for number, row in jsonl_rows(batch):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{batch}:{number}: expected an object with a 'text' string")
        if normalise(text) in done:
            before += 1
            continue
        guess = row.get("guess", row.get("label"))
        tasks.append(Task(text.strip(), guess if isinstance(guess, str) else None))
    return tasks, before


def _texts(path: Path) -> Iterator[str]:
    for _, row in jsonl_rows(path):
        if isinstance(row.get("text"), str):
            yield row["text"]


def key_map(labels: list[str]) -> dict[str, str]:
    """Keys that pick a label: 1-9 in order, and a label's first letter when no other label or command has it."""
    keys = {str(i): label for i, label in enumerate(labels[:9], 1)}
    initials = [label[0].lower() for label in labels]
    for label, initial in zip(labels, initials):
        if initials.count(initial) == 1 and initial not in COMMAND_KEYS and not initial.isdigit():
            keys[initial] = label
    return keys


def terminal_keys() -> Iterator[str]:
    """Single key presses from the terminal (cbreak mode: no Enter needed; Ctrl-C still interrupts)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while True:
            key = os.read(fd, 1).decode("utf-8", "replace")
            if not key:
                return
            if key == "\x1b":  # an arrow or function key: read its sequence and ignore it
                os.read(fd, 8)
                continue
            yield "enter" if key in "\r\n" else key.lower()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def scripted_keys(stream) -> Iterator[str]:
    """Keys as whitespace-separated words, for tests and batch jobs."""
    for line in stream:
        yield from (word.lower() for word in line.split())


def annotate(batch: Path, output: Path, labels: list[str], keys: Iterable[str] | None = None, console=None) -> Session:
    """Label the batch's paragraphs into `output` (JSONL of text and label) until done or `q`."""
    from rich.console import Console

    if len(set(labels)) != len(labels) or not all(labels):
        raise InputError(f"labels must be distinct and non-empty, got {','.join(labels)}")
    tasks, before = load_tasks(batch, output)
    console = console or Console(highlight=False)
    session = Session(tasks, labels, output)
    if keys is None:
        keys = terminal_keys() if sys.stdin.isatty() else scripted_keys(sys.stdin)
    picks = key_map(labels)
    note = ""
    keys = iter(keys)
    while session.done < len(tasks):
        _show(console, session, before, picks, note)
        key = next(keys, "q")
        note = ""
        task = tasks[session.done]
        if key in picks:
            session.answer(picks[key])
        elif key == "enter":
            if task.guess in labels:
                session.answer(task.guess)
            else:
                note = "no guess to accept: pick a label"
        elif key == "s":
            session.answer(None)
        elif key == "u":
            note = "undone" if session.undo() else "nothing to undo in this session"
        elif key == "?":
            note = "\n".join(f"{label}: {DEFINITIONS.get(label, 'no definition')}" for label in labels)
        elif key == "q":
            break
        else:
            note = f"unknown key {key!r}: press ? for help"
    remaining = len(tasks) - session.done
    console.print(f"labelled {session.labelled}, skipped {session.skipped}, {remaining} left; answers in {output}")
    return session


def _show(console, session: Session, before: int, picks: dict[str, str], note: str) -> None:
    from rich.panel import Panel
    from rich.text import Text

    task = session.tasks[session.done]
    total = before + len(session.tasks)
    console.clear()
    console.print(Text(f"paragraph {before + session.done + 1} of {total}   "
                       f"(labelled {session.labelled}, skipped {session.skipped} this session)", style="dim"))
    console.print(Panel(Text(task.text), expand=True))  # Text: the paragraph is shown as text, never as markup
    by_label = {label: [k for k, v in picks.items() if v == label] for label in session.labels}
    for label in session.labels:
        marker = ">" if label == task.guess else " "
        console.print(Text(f"{marker} [{'/'.join(by_label[label])}] {label}", style="bold" if marker == ">" else ""))
    guess = f"Enter: {task.guess}   " if task.guess in session.labels else ""
    console.print(Text(f"{guess}u: undo   s: skip   ?: definitions   q: quit", style="dim"))
    if note:
        console.print(Text(note, style="yellow"))

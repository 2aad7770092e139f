"""Everything the commands write: classified rows as a table, JSON, JSONL, CSV or the HTML report,
explanations, evaluations and training metrics.

Output is safe to open: the terminal shows an article's text as text (no Rich markup, no
control sequences) and CSV cells that a spreadsheet would read as a formula get a leading quote.
"""

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TextIO

import typer

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls, ESC among them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"


SUFFIX_FORMATS = {".html": OutputFormat.html, ".htm": OutputFormat.html, ".csv": OutputFormat.csv,
                  ".json": OutputFormat.json, ".jsonl": OutputFormat.jsonl}


def chosen_format(given: OutputFormat | None, output: Path | None) -> OutputFormat:
    """--format when given; else the --output file's suffix (JSONL if it has none we know); else a
    table on a terminal and JSONL into a pipe."""
    if given is not None:
        return given
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), OutputFormat.jsonl)
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl


def write_rows(rows: Iterator[dict], fmt: OutputFormat, labels: list[str], summary: bool,
               out: TextIO | None = None, report: Callable[[list[list[dict]]], str] | None = None) -> None:
    """Write classified rows (or, with `summary`, one row per article) as they come; `report`
    renders the HTML page from all articles at once."""
    from model.classify import by_article, summarise

    out = out or sys.stdout
    if fmt is OutputFormat.html:
        out.write(report(list(by_article(rows))))
        return
    if fmt is OutputFormat.table:
        print_tables(by_article(rows), labels, summary)
        return
    if summary:
        rows = (summarise(article, labels) for article in by_article(rows))
    if fmt is OutputFormat.jsonl:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    elif fmt is OutputFormat.json:
        out.write("[")
        for i, row in enumerate(rows):
            out.write(("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
    else:
        _write_csv(rows, labels, summary, out)


def _write_csv(rows: Iterable[dict], labels: list[str], summary: bool, out: TextIO) -> None:
    writer = csv.writer(out)
    if summary:
        writer.writerow(["source", "paragraphs", "dominant"] + [f"count_{label}" for label in labels])
    else:
        writer.writerow(["source", "paragraph", "text", "label", "score"] + [f"score_{label}" for label in labels])
    for row in rows:
        if summary:
            writer.writerow([spreadsheet_safe(row["source"]), row["paragraphs"], row["dominant"]]
                            + [row["labels"][label] for label in labels])
        else:
            writer.writerow([spreadsheet_safe(row["source"]), row["paragraph"], spreadsheet_safe(row["text"]),
                             row["label"], row["score"]] + [row["scores"][label] for label in labels])
        out.flush()


def shown(value, style: str = "") -> "Text":
    """Text for the terminal: never read as Rich markup, and with control characters (escape
    sequences, OSC 8 links) made visible instead of sent to the terminal."""
    from rich.text import Text

    return Text(CONTROL_CHARACTERS.sub("\ufffd", str(value)), style=style)


def spreadsheet_safe(cell: str) -> str:
    """OWASP's advice against CSV injection: a cell that a spreadsheet would read as a formula gets a leading quote."""
    return "'" + cell if cell[:1] in FORMULA_STARTS else cell


def print_tables(articles: Iterator[list[dict]], labels: list[str], summary: bool) -> None:
    """One rich table per article, printed as soon as the article is classified, then its summary."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from model.classify import summarise

    console = Console()
    for rows in articles:
        table = Table(title=shown(rows[0]["source"]), expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("label", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("paragraph", ratio=1, overflow="ellipsis", no_wrap=True)
        for row in rows:
            table.add_row(str(row["paragraph"]), shown(row["label"]), f"{row['score']:.2f}", shown(row["text"]))
        console.print(table)
        if summary:
            s = summarise(rows, labels)
            counts = ", ".join(f"{label} {n}" for label, n in s["labels"].items() if n)
            console.print(Text.assemble(shown(s["source"], "bold"), f": {s['paragraphs']} paragraphs; ",
                                        shown(counts), "; dominant: ", shown(s["dominant"], "bold"), "\n"))


def print_explanations(paragraphs: list[str], predictions, explanations) -> None:
    """Each paragraph's label and scores, its text with the words that pushed it there (green) or away (red)."""
    from rich.console import Console
    from rich.text import Text

    from model.report import NOISE_FLOOR, SHOWN_SHARE

    console = Console()
    for paragraph, prediction, why in zip(paragraphs, predictions, explanations):
        scores = "  ".join(f"{label} {score:.3f}" for label, score in sorted(prediction.scores.items(), key=lambda kv: -kv[1]))
        console.print(Text.assemble((prediction.label, "bold"), f" {prediction.score:.3f}   ", (scores, "dim")))
        strongest = max((abs(s.weight) for s in why.spans), default=0.0) or 1.0
        text = Text(paragraph)
        for span in why.spans:
            share = abs(span.weight) / strongest
            if share >= SHOWN_SHARE and abs(span.weight) >= NOISE_FLOOR:
                colour = "green" if span.weight > 0 else "red"
                text.stylize(f"bold {colour}" if share >= 0.5 else colour, span.start, span.end)
        console.print(text)
        toward = ", ".join(f"{s.text} ({s.weight:+.2f})" for s in why.top(5))
        console.print(Text(f"toward {why.label} over {why.runner_up}: {toward or 'no single word'}", style="dim"))
        console.print()


def print_evaluation(result) -> None:
    """Per-label precision, recall, F1 and support, then the confusion matrix."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result.n} paragraphs: macro-F1 {result.macro_f1:.4f}, accuracy {result.accuracy:.4f}")
    for column in ("label", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, m in result.per_label.items():
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    confusion = Table(title="confusion (rows: true, columns: predicted)")
    confusion.add_column("")
    for label in result.labels:
        confusion.add_column(label[:12], justify="right")
    for label, row in zip(result.labels, result.confusion):
        confusion.add_row(label, *(str(n) for n in row))
    console = Console()
    console.print(table)
    console.print(confusion)


def print_metrics(metrics: dict[str, dict]) -> None:
    """One line per split: its numeric metrics."""
    for split, values in metrics.items():
        line = "  ".join(f"{k} {v:.4f}" for k, v in values.items() if isinstance(v, float))
        typer.echo(f"{split}: {line}")

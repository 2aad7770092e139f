"""`classify` and `explain`: label articles' paragraphs, and show why."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from model.cli.app import PROGRAM, BackendOption, ModelOption, app, print_error
from model.cli.output import OutputFormat, chosen_format, print_explanations, write_rows
from model.errors import InputError
from model.predictor import DEFAULT_BATCH_SIZE


@app.command()
def classify(
    context: typer.Context,
    paths: Annotated[Optional[list[str]], typer.Argument(help="Article files (text or HTML), folders of them, http(s) URLs, or - for stdin.")] = None,
    urls: Annotated[Optional[Path], typer.Option("--urls", help="A file of URLs to classify, one per line (# starts a comment).")] = None,
    format: Annotated[Optional[OutputFormat], typer.Option("--format", "-f", help="table, json, jsonl, csv or html (one self-contained report). Default: table on a terminal, jsonl otherwise.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output (format from its suffix unless --format is given).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add the words that pushed each paragraph to its label (occlusion on the model).")] = False,
    model_dir: ModelOption = None,
    min_confidence: Annotated[float, typer.Option(help="Below this probability the label is shown as 'uncertain'.")] = 0.0,
    lines: Annotated[bool, typer.Option("--lines", help="Treat each line of a text file as one paragraph.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="One row per article: paragraph count, count per label, dominant label.")] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Also classify the files in sub-folders of a folder.")] = False,
    keep_boilerplate: Annotated[bool, typer.Option("--keep-boilerplate", help="For HTML, keep every text block (menus, footers...), not just the article body.")] = False,
    batch_size: Annotated[int, typer.Option(help="Paragraphs per forward pass.")] = DEFAULT_BATCH_SIZE,
    backend: BackendOption = "auto",
) -> None:
    """Label every paragraph of one or more articles.

    With several files (or a folder), a file that cannot be read is reported and skipped, and
    the exit code is 1 at the end; with a single file, its error ends the run with exit code 2.
    """
    fmt = chosen_format(format, output)
    if fmt is OutputFormat.html and summary:
        raise InputError("--summary is part of every HTML report; leave it out with --format html")
    if output is not None and not output.parent.is_dir():
        raise InputError(f"cannot write {output}: directory {output.parent} does not exist")
    if not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"--min-confidence must be between 0 and 1, got {min_confidence}")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    from model.classify import check_readable, classify_sources, expand_sources
    from model.fetch import read_url_list

    sources = expand_sources(paths or [], recursive) + (read_url_list(urls) if urls is not None else [])
    if not sources:
        raise InputError("nothing to classify: give article files, folders, URLs, - for stdin, or --urls FILE")
    if sources.count("-") > 1:
        raise InputError("standard input (-) can be named only once")
    if len(sources) == 1:
        check_readable(sources[0])  # a lone bad file fails before the model loads
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
        write_rows(rows, fmt, predictor.labels, summary, report=report)
        sys.stdout.flush()
    else:
        from model.atomic import atomic_text_file

        with atomic_text_file(output) as out:
            write_rows(rows, fmt, predictor.labels, summary, out=out, report=report)
        typer.echo(f"wrote {output}", err=True)
    if failed:
        print_error(f"{len(failed)} of {len(sources)} files failed")
        raise typer.Exit(1)


def _command_line(context: typer.Context) -> str:
    """The command as the user gave it (arguments and the options set on the command line), for reports."""
    import shlex

    words = [PROGRAM, context.info_name or "classify"]
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


@app.command("explain")
def explain_command(
    text: Annotated[str, typer.Argument(help="A paragraph to explain, or a text file whose paragraphs to explain.")],
    model_dir: ModelOption = None,
    backend: BackendOption = "auto",
) -> None:
    """Show a paragraph's label, every label's score, and the words that pushed it there (green) or away (red)."""
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
    print_explanations(paragraphs, predictor.predict(paragraphs), predictor.explain(paragraphs))

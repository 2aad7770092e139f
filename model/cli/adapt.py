"""`suggest` and `annotate`: pick what to label next, and label it in the terminal.

With `train --init-from`, they make the loop that adapts a model to one's own reporting.
"""

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from model.cli.app import BackendOption, ModelOption, app
from model.errors import InputError
from model.predictor import DEFAULT_BATCH_SIZE

OverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace the output file if it exists.")]


@app.command("suggest")
def suggest_command(
    pool: Annotated[list[str], typer.Argument(help="Unlabelled articles (files, folders, URLs, - for stdin) or JSONL files with a 'text' column.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the chosen paragraphs (JSONL: text, guess, score, margin, source).")],
    n: Annotated[int, typer.Option("-n", help="How many paragraphs to choose.")] = 100,
    exclude: Annotated[Optional[list[Path]], typer.Option("--exclude", help="Labelled JSONL files whose paragraphs are never chosen again (repeatable).")] = None,
    model_dir: ModelOption = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Also read the files in sub-folders of a folder.")] = False,
    lines: Annotated[bool, typer.Option("--lines", help="Treat each line of a text file as one paragraph.")] = False,
    batch_size: Annotated[int, typer.Option(help="Paragraphs per forward pass.")] = DEFAULT_BATCH_SIZE,
    backend: BackendOption = "auto",
    overwrite: OverwriteOption = False,
) -> None:
    """Choose the paragraphs of a pool most worth labelling: those the model is least sure of, spread over the pool."""
    if n < 1:
        raise InputError(f"-n must be at least 1, got {n}")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    _check_output(output, overwrite)
    if list(pool).count("-") > 1:
        raise InputError("standard input (-) can be named only once")
    for path in exclude or []:
        if not path.is_file():
            raise InputError(f"--exclude {path}: file not found")
    from tqdm import tqdm

    from model.atomic import atomic_text_file
    from model.predictor import load_predictor
    from model.suggest import pool_paragraphs, read_texts, suggest

    predictor = load_predictor(model_dir, backend=backend)
    labelled = [text for path in exclude or [] for text in read_texts(path)]
    with tqdm(desc="scoring", unit=" paragraphs", file=sys.stderr, disable=None) as bar:
        chosen = suggest(pool_paragraphs(pool, recursive=recursive, lines=lines), predictor, n=n,
                         exclude=labelled, batch_size=batch_size, progress=bar.update)
    if not chosen:
        raise InputError("no new paragraphs in the pool (all empty, repeated or already labelled)")
    with atomic_text_file(output) as out:
        for suggestion in chosen:
            out.write(json.dumps(suggestion.row(), ensure_ascii=False) + "\n")
    typer.echo(f"wrote {len(chosen)} paragraphs to {output}", err=True)


@app.command("annotate")
def annotate_command(
    batch: Annotated[Path, typer.Argument(help="JSONL of paragraphs to label ('text', and the model's 'guess' if any), as `suggest` writes.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Labelled JSONL (text, label), appended answer by answer; rerun to resume.")],
    labels: Annotated[Optional[str], typer.Option("--labels", help="Comma-separated labels, for a label set other than the model's.")] = None,
    model_dir: ModelOption = None,
) -> None:
    """Label paragraphs one key at a time: 1-9 or a label's first letter, Enter accepts the guess, u undo, s skip, ? help, q quit.

    Keys are read from the terminal; when standard input is not a terminal, as whitespace-separated words.
    """
    from model.annotate import annotate

    if not batch.is_file():
        raise InputError(f"{batch}: file not found")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: directory {output.parent} does not exist")
    if labels is not None:
        chosen = [label.strip() for label in labels.split(",")]
    else:
        from model.loading import DEFAULT_MODEL_DIR, check_model_dir, labels_in_order

        chosen = labels_in_order(check_model_dir(model_dir or DEFAULT_MODEL_DIR))
    annotate(batch, output, chosen)


def _check_output(output: Path, overwrite: bool) -> None:
    if output.exists() and not overwrite:
        raise InputError(f"{output} exists; pass --overwrite to replace it")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: directory {output.parent} does not exist")

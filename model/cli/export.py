"""`export`, `compact` and `info`: write a model in another form, or describe it."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from model.cli.app import ModelOption, app
from model.errors import InputError


class ExportFormat(str, Enum):
    onnx = "onnx"
    hf = "hf"


def _megabytes(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.iterdir()) / 1e6


@app.command()
def export(
    model_dir: ModelOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="onnx: int8 ONNX beside the weights, used by classify; hf: a standard Hugging Face directory at --output.")] = ExportFormat.onnx,
    output: Annotated[Optional[Path], typer.Option(help="New directory for --format hf.")] = None,
) -> None:
    """Export a model: int8 ONNX beside its weights (classify then runs without torch), or a standard Hugging Face directory."""
    from model.loading import DEFAULT_MODEL_DIR

    directory = model_dir or DEFAULT_MODEL_DIR
    if format is ExportFormat.hf:
        from model.hf_export import export_hf

        if output is None:
            raise InputError("--format hf needs --output DIR (a new directory)")
        path = export_hf(directory, output)
        typer.echo(f"exported {path} ({_megabytes(path):.1f} MB): loads with transformers.pipeline('text-classification', model='{path}')")
        return
    if output is not None:
        raise InputError("--output is for --format hf; the ONNX export is written beside the model's weights")
    from model.onnx import export as export_onnx

    path = export_onnx(directory)  # load_model checks the directory first
    typer.echo(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("compact")
def compact_command(
    model_dir: Annotated[Path, typer.Option("--model", help="A fully fine-tuned model directory, as `train` writes.")],
    output: Annotated[Path, typer.Option(help="New directory for the compact copy.")],
) -> None:
    """Store a model as the fp16 tensors that training changed, over its base (about 22 MB for MiniLM-L6 trained with --freeze-embeddings)."""
    from training.compact import compact

    path = compact(model_dir, output)
    typer.echo(f"compact copy in {path} ({_megabytes(path):.1f} MB)")


@app.command()
def info(model_dir: ModelOption = None) -> None:
    """Show a model's card: labels, base model, data hash and size, seed, metrics, date."""
    from model.card import read_card
    from model.loading import DEFAULT_MODEL_DIR, check_model_dir

    directory = model_dir or DEFAULT_MODEL_DIR
    check_model_dir(directory)
    typer.echo(read_card(directory).to_markdown().rstrip())

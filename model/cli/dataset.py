"""`classify-dataset`: label every paragraph of a whole archive, on this machine or a Ray cluster."""

from typing import Annotated, Optional

import typer

from model.cli.app import BackendOption, ModelOption, app, print_error
from model.dataset import ARTICLES_PER_BATCH, DatasetFormat, Engine
from model.errors import InputError
from model.predictor import DEFAULT_BATCH_SIZE


@app.command("classify-dataset")
def classify_dataset_command(
    source: Annotated[str, typer.Argument(help="A JSONL, CSV or Parquet file or a folder of them, or a folder of .txt/.html articles; with --engine ray also a URI such as s3://bucket/articles/.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The folder of part files to write (with --engine ray also a URI).")],
    format: Annotated[DatasetFormat, typer.Option("--format", "-f", help="parquet or jsonl.")] = DatasetFormat.parquet,
    summary: Annotated[bool, typer.Option("--summary", help="One row per article: paragraph count, count per label, dominant label.")] = False,
    engine: Annotated[Engine, typer.Option(help="local: this process, no cluster needed; ray: Ray Data on a cluster (pip install -e \".\\[ray]\").")] = Engine.local,
    workers: Annotated[Optional[int], typer.Option(help="Ray actors, each with its own copy of the model. Default: one per CPU but one.")] = None,
    address: Annotated[Optional[str], typer.Option(help="The Ray cluster (host:6379 or ray://host:10001). Default: RAY_ADDRESS, else a local Ray started for the job.")] = None,
    text_column: Annotated[str, typer.Option(help="The column holding each article's text.")] = "text",
    id_column: Annotated[str, typer.Option(help="The column holding each article's id (its row number when there is none).")] = "id",
    model_dir: ModelOption = None,
    backend: BackendOption = "auto",
    batch_size: Annotated[int, typer.Option(help="Paragraphs per forward pass.")] = DEFAULT_BATCH_SIZE,
    articles_per_batch: Annotated[int, typer.Option(help="Articles handed to the model at a time.")] = ARTICLES_PER_BATCH,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output once the new one is complete.")] = False,
) -> None:
    """Label every paragraph of a dataset of articles into Parquet or JSONL part files.

    A row that cannot be classified (text missing, not a string, empty) is written with a null
    label and its reason in the error column, and counted at the end (exit code 1).
    """
    if engine is Engine.local and (workers is not None or address is not None):
        raise InputError("--workers and --address are for --engine ray")
    from model.dataset import classify_dataset

    result = classify_dataset(source, output, engine=engine, fmt=format, summary=summary, text_column=text_column,
                              id_column=id_column, model=model_dir, backend=getattr(backend, "value", backend), batch_size=batch_size,
                              articles_per_batch=articles_per_batch, workers=workers, address=address,
                              overwrite=overwrite, progress=True)
    rate = result.paragraphs / result.seconds if result.seconds else 0.0
    typer.echo(f"wrote {result.output}: {result.articles:,} articles, {result.paragraphs:,} paragraphs "
               f"in {result.seconds:.1f} s ({rate:,.0f} paragraphs/s)", err=True)
    if result.errors:
        print_error(f"{result.errors:,} of {result.articles:,} articles could not be classified "
                    "(label null; the reason is in their error column)")
        raise typer.Exit(1)

"""`train` and `evaluate`: fine-tune a classifier (or a baseline) and score one.

The training options are TrainConfig's fields: their defaults and help come from there.
"""

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from model.cli.app import ModelOption, app
from model.cli.output import print_evaluation, print_metrics
from model.errors import InputError
from training.baselines import BASELINES
from training.config import CLASS_WEIGHT_MODES, TrainConfig, setting_help

DEFAULTS = TrainConfig()
ClassWeights = Enum("ClassWeights", {mode: mode for mode in CLASS_WEIGHT_MODES}, type=str)
Baseline = Enum("Baseline", {kind: kind for kind in BASELINES}, type=str)


def _setting(name: str, *flags: str) -> Any:
    """The option for TrainConfig field `name`, with the field's help."""
    return typer.Option(*flags, help=setting_help(name))


@app.command("train")
def train_command(
    data: Annotated[Path, typer.Option(help="A JSONL/CSV file with text and label, or a directory with train and validation (and test) files.")],
    output: Annotated[Path, typer.Option(help="Directory to write the trained model (or baseline report) to.")],
    base_model: Annotated[str, _setting("base_model")] = DEFAULTS.base_model,
    epochs: Annotated[float, _setting("epochs")] = DEFAULTS.epochs,
    batch_size: Annotated[int, _setting("batch_size")] = DEFAULTS.batch_size,
    learning_rate: Annotated[float, _setting("learning_rate")] = DEFAULTS.learning_rate,
    max_length: Annotated[int, _setting("max_length")] = DEFAULTS.max_length,
    seed: Annotated[int, _setting("seed")] = DEFAULTS.seed,
    class_weights: Annotated[ClassWeights, _setting("class_weights")] = ClassWeights(DEFAULTS.class_weights),
    lora_rank: Annotated[int, _setting("lora_rank")] = DEFAULTS.lora_rank,
    freeze_embeddings: Annotated[bool, _setting("freeze_embeddings", "--freeze-embeddings")] = DEFAULTS.freeze_embeddings,
    max_steps: Annotated[int, _setting("max_steps")] = DEFAULTS.max_steps,
    augment_sourcing: Annotated[bool, _setting("augment_sourcing", "--augment-sourcing")] = DEFAULTS.augment_sourcing,
    label_smoothing: Annotated[float, _setting("label_smoothing")] = DEFAULTS.label_smoothing,
    init_from: Annotated[str, _setting("init_from")] = DEFAULTS.init_from,
    mix_corpus: Annotated[str, _setting("mix_corpus")] = DEFAULTS.mix_corpus,
    baseline: Annotated[Optional[Baseline], typer.Option(help="Train a baseline instead of fine-tuning.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output directory.")] = False,
) -> None:
    """Fine-tune a classifier (or a baseline) on labelled paragraphs."""
    from training.data import load_splits
    from training.finetune import check_output, is_main_process

    config = TrainConfig(
        base_model=base_model, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
        max_length=max_length, seed=seed, class_weights=class_weights.value, lora_rank=lora_rank, max_steps=max_steps,
        freeze_embeddings=freeze_embeddings, augment_sourcing=augment_sourcing, label_smoothing=label_smoothing,
        init_from=init_from, mix_corpus=mix_corpus,
    )
    for option, path in (("--init-from", init_from), ("--mix-corpus", mix_corpus)):
        if path and not (option == "--init-from" and path == "shipped") and not Path(path).exists():
            raise InputError(f"{option} {path}: not found")
    check_output(output, overwrite, data)
    splits = load_splits(data, config.validation_fraction, config.seed)
    quiet = not is_main_process()
    if not quiet:
        typer.echo(f"data: {splits.sizes()} paragraphs, labels {splits.labels}", err=True)
    if baseline is not None:
        from training.baselines import BASELINE_REPORT, write_baseline

        metrics = write_baseline(baseline.value, splits, output, config.base_model).metrics()
        typer.echo(f"baseline report saved to {output / BASELINE_REPORT}", err=True)
    else:
        from training.finetune import train

        result = train(config, splits, output, overwrite=overwrite)
        metrics = result.card.metrics
        if quiet:
            return
        typer.echo(f"model saved to {result.output}", err=True)
    print_metrics(metrics)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="A JSONL/CSV file with text and label.")],
    model_dir: ModelOption = None,
    report: Annotated[Optional[Path], typer.Option(help="Write the scores as JSON here.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Draw the confusion matrix to this PNG.")] = None,
) -> None:
    """Score a model on labelled paragraphs: per-label P/R/F1, macro-F1, confusion matrix."""
    from training.evaluate import evaluate as evaluate_model
    from training.evaluate import plot_confusion

    for target in (report, plot):
        if target is not None and not target.parent.is_dir():
            raise InputError(f"cannot write {target}: directory {target.parent} does not exist")
        if target is not None and not os.access(target.parent, os.W_OK):
            raise InputError(f"cannot write {target}: {target.parent} is not writable")
    result = evaluate_model(model_dir, data)
    print_evaluation(result)
    if report is not None:
        result.write_json(report)
    if plot is not None:
        plot_confusion(result, plot)

"""Fine-tuning with the transformers Trainer, written so that no run can lose a model.

The run trains in a staging directory beside the output and moves the finished model into
place only at the end; a failed, interrupted or killed run leaves the previous model intact.
Because this is the plain Trainer, `torchrun` and `accelerate launch` work unchanged.
"""

import dataclasses
import datetime
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from model.card import CARD_FILE, ModelCard
from model.atomic import replace_dir, staging_dir
from model.errors import InputError, RunError, first_line
from model.loading import LORA_FORMAT, base_weights_sha256, is_local, resolve_base_model
from training.baselines import BASELINE_REPORT
from training.config import TrainConfig
from training.data import Splits, label_maps, load_splits


@dataclass
class TrainResult:
    output: Path
    card: ModelCard


def is_main_process() -> bool:
    """True except in the non-zero ranks of a torchrun/accelerate launch, which should stay quiet."""
    return int(os.environ.get("RANK", "0")) == 0


MODEL_MARKERS = (CARD_FILE, "config.json", BASELINE_REPORT)  # what makes a directory one of our outputs


def check_output(output: Path, overwrite: bool, data: Path | None = None) -> None:
    """Refuse, before any training starts, an output that would lose work or cannot be written.

    An existing output is replaced only with `overwrite`, and only when it is a model (or
    baseline report) directory; never when it is, or holds, the training data.
    """
    output = Path(output)
    if data is not None:
        target, source = output.resolve(), Path(data).resolve()
        if target == source or target in source.parents:
            raise InputError(f"output {output} is or contains the training data {data}; choose another directory")
    if output.exists() and not output.is_dir():
        raise InputError(f"output {output} exists and is a file, not a model directory")
    if output.exists() and any(output.iterdir()):
        if not overwrite:
            raise InputError(f"output directory {output} already exists; pass --overwrite to replace it")
        if not any((output / marker).is_file() for marker in MODEL_MARKERS):
            raise InputError(f"output directory {output} is not a model directory; --overwrite replaces only models")
    parent = output.parent if not output.exists() else output
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {output}: {parent} is not writable")


def train(config: TrainConfig, data: Path | Splits, output: Path, overwrite: bool = False,
          progress: bool = True) -> TrainResult:
    """Fine-tune `config.base_model` on `data` and save a classifier directory at `output`.

    Three steps, as setfit's `train` runs `train_embeddings` then `train_classifier`: build the
    model (`build_model`), train it with the Trainer (`make_trainer`), then calibrate it on
    validation and describe it in its card (`calibrated_card`).

    Args:
        config: every training setting (validated when it was made).
        data: a JSONL/CSV file, a directory of split files, or splits already loaded.
        output: the model directory to write; it appears only when training has finished.
        overwrite: replace an existing model directory at `output`.
        progress: show the Trainer's progress bars.

    Returns:
        The output directory and the model card written there.
    """
    output = Path(output)
    check_output(output, overwrite, None if isinstance(data, Splits) else data)
    splits = data if isinstance(data, Splits) else load_splits(Path(data), config.validation_fraction, config.seed)
    if config.mix_corpus:
        splits = mixed_with(splits, Path(config.mix_corpus), config)
    if config.init_from:
        model, tokenizer, labels, base = continued_model(config, splits.labels)
        splits = dataclasses.replace(splits, labels=labels)  # the model's label ids, which may be more than the data has
        config = dataclasses.replace(config, base_model=base)  # the card names the model's own base
    else:
        model, tokenizer = build_model(config, splits.labels)
    if config.augment_sourcing:
        from training.augment import sourcing_copies

        splits = dataclasses.replace(splits, train=splits.train + sourcing_copies(splits.train, config.seed))
    staging = staging_dir(output)
    trainer = make_trainer(model, tokenizer, config, splits, staging / "checkpoints", progress)
    try:
        started = time.perf_counter()
        trainer.train()
        card = calibrated_card(trainer, config, splits, train_seconds=time.perf_counter() - started)
        if trainer.is_world_process_zero():
            _save(trainer.model, tokenizer, card, config, staging / "model")
            replace_dir(staging / "model", output)
    except OSError as exc:
        raise RunError(f"training failed while writing ({exc}); {output} left unchanged") from None
    finally:
        if trainer.is_world_process_zero():
            shutil.rmtree(staging, ignore_errors=True)
    return TrainResult(output=output, card=card)


def build_model(config: TrainConfig, labels: list[str]):
    """(model, tokenizer): the base model with a fresh classification head for `labels`, from local files
    when the base is a path, with LoRA or frozen word embeddings as the config asks."""
    base = resolve_base_model(config.base_model)  # a mistyped path fails before transformers is imported
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    set_seed(config.seed)
    id2label, label2id = label_maps(labels)
    local = is_local(base)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=local, trust_remote_code=False)
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(id2label), id2label=id2label, label2id=label2id,
            local_files_only=local, use_safetensors=True, trust_remote_code=False,
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load base model {config.base_model!r} ({first_line(exc)})") from None
    if config.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if config.lora_rank:
        model = _with_lora(model, config.lora_rank)
    return model, tokenizer


def continued_model(config: TrainConfig, labels: list[str]):
    """(model, tokenizer, labels, base model name) to continue training from `config.init_from`: its weights,
    and its head when `labels` are among its own (then its labels are kept, in its order); else a new head."""
    from transformers import AutoTokenizer, set_seed

    from model.loading import DEFAULT_MODEL_DIR, load_model

    directory = DEFAULT_MODEL_DIR if config.init_from == "shipped" else Path(config.init_from)
    set_seed(config.seed)
    model, card = load_model(directory)  # safetensors only, no code run, no network
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{directory}: cannot load its tokenizer ({first_line(exc)})") from None
    own = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if set(labels) <= set(own):
        labels = own
    else:
        import torch

        id2label, label2id = label_maps(labels)
        model.classifier = torch.nn.Linear(model.classifier.in_features, len(labels))
        model.config.update({"num_labels": len(labels), "id2label": id2label, "label2id": label2id})
    model.float().train()
    if config.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model, tokenizer, labels, card.base_model


def mixed_with(splits: Splits, corpus: Path, config: TrainConfig) -> Splits:
    """`splits` with the train split of another corpus added; paragraphs in `splits`' validation or test are left out."""
    from training.data import normalise

    other = load_splits(corpus, config.validation_fraction, config.seed)
    known = {normalise(r["text"]) for r in splits.train + splits.validation + splits.test}
    added = [r for r in other.train if normalise(r["text"]) not in known]
    return dataclasses.replace(splits, train=splits.train + added, labels=sorted(set(splits.labels) | set(other.labels)),
                               sha256=f"{splits.sha256}+{other.sha256}")


def make_trainer(model, tokenizer, config: TrainConfig, splits: Splits, checkpoints: Path, progress: bool):
    """A Trainer on the tokenized train and validation splits: early stopping on validation macro-F1,
    the best epoch kept, and the loss weighted by label frequency when the config asks."""
    import torch
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer, TrainingArguments

    train_set = tokenize(splits, "train", tokenizer, config)
    validation_set = tokenize(splits, "validation", tokenizer, config)
    weights = class_weights(train_set["labels"], len(splits.labels), config.class_weights)
    args = TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,  # a float below 1: a share of the steps
        label_smoothing_factor=config.label_smoothing,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=1,
        save_only_model=True,
        seed=config.seed,
        data_seed=config.seed,
        report_to=[],
        disable_tqdm=not progress,
        dataloader_pin_memory=False,
        train_sampling_strategy="group_by_length",  # batches of similar length: less padding, faster on CPU
        # With no accelerator, say so: torchrun then trains on several CPU processes (gloo).
        use_cpu=not (torch.cuda.is_available() or torch.backends.mps.is_available()),
    )
    return Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=validation_set,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
        compute_loss_func=_weighted_loss(weights) if weights else None,
    )


def tokenize(splits: Splits, split: str, tokenizer, config: TrainConfig):
    """One split as a `datasets.Dataset` of token ids and label ids, each text cut to one window."""
    dataset = splits.dataset(split, label_maps(splits.labels)[1])
    return dataset.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=config.max_length),
        batched=True, remove_columns=["text", "label"],
    )


def calibrated_card(trainer, config: TrainConfig, splits: Splits, train_seconds: float) -> ModelCard:
    """The trained model's card: its temperature fitted on validation (it changes scores, never labels),
    validation and test metrics, the data and the settings it was trained with."""
    import numpy as np

    from model.predictor import softmax
    from training.calibration import expected_calibration_error, fit_temperature

    validation = trainer.predict(trainer.eval_dataset)
    validation_labels = np.asarray(validation.label_ids)
    temperature = fit_temperature(validation.predictions, validation_labels)
    metrics = {"validation": {
        **_metrics(validation),
        "ece_before": expected_calibration_error(softmax(validation.predictions), validation_labels),
        "ece_after": expected_calibration_error(softmax(validation.predictions, temperature), validation_labels),
    }}
    if splits.test:
        metrics["test"] = _metrics(trainer.predict(tokenize(splits, "test", trainer.processing_class, config)))
    return ModelCard(
        labels=splits.labels,
        base_model=config.base_model,
        format=LORA_FORMAT if config.lora_rank else "full",
        base_sha256=base_weights_sha256(resolve_base_model(config.base_model)) if config.lora_rank else "",
        data_sha256=splits.sha256,
        data_size=splits.sizes(),
        seed=config.seed,
        metrics=metrics,
        training={**config.to_dict(), "class_weights_used": trainer.compute_loss_func is not None,
                  "epochs_run": round(float(trainer.state.epoch or 0), 2), "world_size": trainer.args.world_size,
                  "train_seconds": round(train_seconds, 1)},
        max_length=config.max_length,
        temperature=round(temperature, 4),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )


def class_weights(train_labels: list[int], n_labels: int, mode: str) -> list[float] | None:
    """Inverse-frequency weights, on when asked or (auto) when the largest class is over 2x the smallest."""
    counts = Counter(train_labels)
    sizes = [counts.get(i, 0) for i in range(n_labels)]
    imbalanced = max(sizes) > 2 * min(sizes)
    if mode == "off" or (mode == "auto" and not imbalanced):
        return None
    total = sum(sizes)
    return [total / (n_labels * max(n, 1)) for n in sizes]


def _weighted_loss(weights: list[float]):
    import torch

    weight = torch.tensor(weights)

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"]
        summed = torch.nn.functional.cross_entropy(logits, labels, weight=weight.to(logits.device), reduction="sum")
        return summed / (num_items_in_batch if num_items_in_batch is not None else labels.numel())

    return loss


def _metrics(eval_prediction) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    logits, labels = eval_prediction.predictions, eval_prediction.label_ids
    predicted = logits.argmax(axis=-1)
    return {
        "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(labels, predicted)),
    }


def _with_lora(model, rank: int):
    """Wrap the model with a LoRA adapter on every attention and feed-forward projection."""
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.1,
        target_modules=r".*encoder\.layer\.\d+\..*(query|key|value|dense)$",
        modules_to_save=["classifier", "pooler"],
    )
    return get_peft_model(model, lora)


def _save(model, tokenizer, card: ModelCard, config: TrainConfig, directory: Path) -> None:
    """Write a model directory: weights as safetensors, config with labels, tokenizer, card."""
    directory.mkdir(parents=True)
    if config.lora_rank:
        for adapter in model.peft_config.values():
            adapter.base_model_name_or_path = config.base_model  # a name, not this machine's path
        model.save_pretrained(str(directory), safe_serialization=True)
        base = model.get_base_model()
        base.config.architectures = [type(base).__name__]
        base.config.save_pretrained(str(directory))
    else:
        model.save_pretrained(str(directory), safe_serialization=True)
    tokenizer.save_pretrained(str(directory))
    card.save(directory)

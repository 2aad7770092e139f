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
from model.errors import InputError, RunError
from model.loading import base_weights_sha256, is_local, resolve_base_model
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


def train(config: TrainConfig, data: Path | Splits, output: Path, overwrite: bool = False, progress: bool = True) -> TrainResult:
    """Fine-tune `config.base_model` on `data` and save a classifier directory at `output`."""
    output = Path(output)
    check_output(output, overwrite, None if isinstance(data, Splits) else data)
    splits = data if isinstance(data, Splits) else load_splits(Path(data), config.validation_fraction, config.seed)
    base = resolve_base_model(config.base_model)

    import numpy as np
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
        set_seed,
    )
    from transformers.utils import logging as hf_logging

    from model.predictor import softmax
    from training.calibration import expected_calibration_error, fit_temperature

    hf_logging.set_verbosity_error()
    set_seed(config.seed)
    id2label, label2id = label_maps(splits.labels)
    local = is_local(base)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=local, trust_remote_code=False)
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(id2label), id2label=id2label, label2id=label2id,
            local_files_only=local, use_safetensors=True, trust_remote_code=False,
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load base model {config.base_model!r} ({str(exc).splitlines()[0]})") from None
    if config.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if config.lora_rank:
        model = _with_lora(model, config.lora_rank)

    if config.augment_sourcing:
        from training.augment import sourcing_copies

        splits = dataclasses.replace(splits, train=splits.train + sourcing_copies(splits.train, config.seed))

    def tokenized(split: str):
        dataset = splits.dataset(split, label2id)
        return dataset.map(
            lambda batch: tokenizer(batch["text"], truncation=True, max_length=config.max_length),
            batched=True, remove_columns=["text", "label"],
        )

    train_set, validation_set = tokenized("train"), tokenized("validation")
    weights = class_weights(train_set["labels"], len(id2label), config.class_weights)
    staging = staging_dir(output)
    args = TrainingArguments(
        output_dir=str(staging / "checkpoints"),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,
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
    trainer = Trainer(
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
    try:
        started = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - started
        # Calibrate on validation: the temperature changes scores, never labels.
        val = trainer.predict(validation_set)
        val_labels = np.asarray(val.label_ids)
        temperature = fit_temperature(val.predictions, val_labels)
        metrics = {"validation": {
            **_metrics(val),
            "ece_before": expected_calibration_error(softmax(val.predictions), val_labels),
            "ece_after": expected_calibration_error(softmax(val.predictions, temperature), val_labels),
        }}
        if splits.test:
            metrics["test"] = _metrics(trainer.predict(tokenized("test")))
        card = ModelCard(
            labels=splits.labels,
            base_model=config.base_model,
            format="lora" if config.lora_rank else "full",
            base_sha256=base_weights_sha256(base) if config.lora_rank else "",
            data_sha256=splits.sha256,
            data_size=splits.sizes(),
            seed=config.seed,
            metrics=metrics,
            training={**config.to_dict(), "class_weights_used": weights is not None,
                      "epochs_run": round(float(trainer.state.epoch or 0), 2), "world_size": args.world_size,
                      "train_seconds": round(train_seconds, 1)},
            max_length=config.max_length,
            temperature=round(temperature, 4),
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        )
        if trainer.is_world_process_zero():
            _save(trainer.model, tokenizer, card, config, staging / "model")
            replace_dir(staging / "model", output)
    except OSError as exc:
        raise RunError(f"training failed while writing ({exc}); {output} left unchanged") from None
    finally:
        if trainer.is_world_process_zero():
            shutil.rmtree(staging, ignore_errors=True)
    return TrainResult(output=output, card=card)


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

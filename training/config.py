"""One dataclass holds every training setting; it checks them before any work starts."""

from dataclasses import asdict, dataclass, field, fields, replace

from model.errors import InputError
from model.loading import DEFAULT_BASE_MODEL

CLASS_WEIGHT_MODES = ("auto", "on", "off")


def setting(default, help: str):
    """A TrainConfig field whose `help` is what `train --help` shows (read as HfArgumentParser reads dataclass fields)."""
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    base_model: str = setting(DEFAULT_BASE_MODEL, "Hub name or local path of the model to fine-tune.")
    epochs: float = setting(6.0, "Most epochs to train; early stopping may end sooner.")
    batch_size: int = setting(16, "Training batch size.")
    # Full fine-tune; LoRA wants more, but rank 16 at 1e-3 diverged in 2 of 4 runs here.
    learning_rate: float = setting(5e-5, "Peak learning rate.")
    max_length: int = setting(256, "Tokens per window; longer paragraphs are read as overlapping windows.")
    seed: int = setting(42, "Random seed for initialisation, shuffling and the split.")
    class_weights: str = setting("auto", "Weight the loss by inverse label frequency: on, off, or auto "
                                         "(when the largest label is over 2x the smallest).")
    early_stopping_patience: int = setting(2, "Epochs without a better validation macro-F1 before stopping.")
    validation_fraction: float = setting(0.1, "Share held out for validation from a single data file "
                                              "(a directory brings its own split).")
    warmup_ratio: float = setting(0.1, "Share of the steps over which the learning rate warms up.")
    weight_decay: float = setting(0.01, "AdamW weight decay.")
    lora_rank: int = setting(0, "Train a LoRA adapter of this rank instead of all weights (0: full fine-tune).")
    freeze_embeddings: bool = setting(False, "Keep the base model's word embeddings, so `compact` can leave them out.")
    max_steps: int = setting(-1, "Stop after this many optimiser steps (-1: no limit).")
    augment_sourcing: bool = setting(False, "Also train on a wire-style sourced copy of each plain event, "
                                            "toll or decision sentence, and a bare copy of each sourced one.")
    init_from: str = setting("", "Continue from this model directory ('shipped': the shipped model): its weights, and "
                                 "its head when the data's labels are among its own (else a new head).")
    mix_corpus: str = setting("", "Also train on the train split of this labelled corpus (a file or directory, "
                                  "e.g. data/, ours); validation and test stay your data's.")
    label_smoothing: float = setting(0.0, "Spread this much of each target over the other labels (0: off); "
                                          "less over-confidence.")

    def __post_init__(self):
        problems = []
        if self.epochs <= 0:
            problems.append(f"epochs must be > 0, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch size must be >= 1, got {self.batch_size}")
        if not 0 < self.learning_rate < 1:
            problems.append(f"learning rate must be in (0, 1), got {self.learning_rate}")
        if not 8 <= self.max_length <= 512:
            problems.append(f"max length must be in [8, 512] tokens, got {self.max_length}")
        if self.class_weights not in CLASS_WEIGHT_MODES:
            problems.append(f"class weights must be one of {', '.join(CLASS_WEIGHT_MODES)}, got {self.class_weights!r}")
        if self.early_stopping_patience < 1:
            problems.append(f"early stopping patience must be >= 1, got {self.early_stopping_patience}")
        if not 0 < self.validation_fraction < 0.5:
            problems.append(f"validation fraction must be in (0, 0.5), got {self.validation_fraction}")
        if not 0 <= self.label_smoothing < 0.5:
            problems.append(f"label smoothing must be in [0, 0.5), got {self.label_smoothing}")
        if self.lora_rank < 0:
            problems.append(f"LoRA rank must be >= 0, got {self.lora_rank}")
        if self.init_from and self.lora_rank:
            problems.append("a LoRA adapter trains from the base model, not from --init-from; choose one")
        if problems:
            raise InputError("; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)


def setting_help(name: str) -> str:
    """The help of one TrainConfig field, for the command line."""
    return next(f.metadata["help"] for f in fields(TrainConfig) if f.name == name)


# The recipes behind the shipped model and the comparison in reports/quality.md, written once
# (scripts/make_shipped_model.py and scripts/compare.py train with them).
FULL_FINETUNE = TrainConfig(learning_rate=5e-5, epochs=3, seed=42)  # every weight: the comparison
SHIPPED = replace(FULL_FINETUNE, freeze_embeddings=True, augment_sourcing=True)  # so `compact` leaves the embeddings out

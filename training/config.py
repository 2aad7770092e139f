"""One dataclass holds every training setting; it checks them before any work starts."""

from dataclasses import asdict, dataclass

from model.errors import InputError
from model.loading import DEFAULT_BASE_MODEL

CLASS_WEIGHT_MODES = ("auto", "on", "off")


@dataclass
class TrainConfig:
    base_model: str = DEFAULT_BASE_MODEL  # any hub name or local path; default: the packaged MiniLM-L6
    epochs: float = 6.0  # an upper bound: early stopping usually ends sooner
    batch_size: int = 16
    learning_rate: float = 5e-5  # full fine-tune; LoRA wants more, but rank 16 at 1e-3 diverged in 2 of 4 runs here
    max_length: int = 256  # tokens per window; longer paragraphs are read as overlapping windows
    seed: int = 42
    class_weights: str = "auto"  # "auto": weight the loss when the largest class is over 2x the smallest
    early_stopping_patience: int = 2  # epochs without a better validation macro-F1 before stopping
    validation_fraction: float = 0.1  # held out from a single data file (a directory brings its own split)
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    lora_rank: int = 0  # 0: full fine-tune; >0: train a LoRA adapter of this rank plus the head
    freeze_embeddings: bool = False  # keep the base's word embeddings, so training.compact can leave them out
    max_steps: int = -1  # >0 caps the optimiser steps (smoke tests); -1: no cap
    augment_sourcing: bool = False  # add a wire-style sourced copy of plain event sentences (training/augment.py)
    label_smoothing: float = 0.0  # spreads this much target mass over the other labels: less over-confidence

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
        if problems:
            raise InputError("; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)

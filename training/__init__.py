"""Training, evaluation and baselines for conflict-paragraphs classifiers.

    >>> from training import TrainConfig, train
    >>> train(TrainConfig(epochs=3), "data/", "models/mine")
"""

from training.baselines import BASELINES, BaselineResult, make_baseline, train_baseline, write_baseline
from training.compact import compact
from training.config import FULL_FINETUNE, SHIPPED, TrainConfig
from training.data import Splits, label_maps, load_splits, read_examples
from training.evaluate import Evaluation, evaluate, plot_confusion, score
from training.finetune import TrainResult, check_output, train

__all__ = [
    "BASELINES",
    "BaselineResult",
    "Evaluation",
    "FULL_FINETUNE",
    "SHIPPED",
    "Splits",
    "TrainConfig",
    "TrainResult",
    "check_output",
    "compact",
    "evaluate",
    "label_maps",
    "load_splits",
    "make_baseline",
    "plot_confusion",
    "read_examples",
    "score",
    "train",
    "train_baseline",
    "write_baseline",
]

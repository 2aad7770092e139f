"""Training, evaluation and baselines for conflict-paragraphs classifiers.

    >>> from training import TrainConfig, train
    >>> train(TrainConfig(epochs=3), "data/", "models/mine")
"""

from training.baselines import BASELINES, BaselineResult, train_baseline
from training.compact import compact
from training.config import TrainConfig
from training.data import Splits, label_maps, load_splits, read_examples
from training.evaluate import Evaluation, evaluate, plot_confusion, score
from training.finetune import TrainResult, train

__all__ = [
    "BASELINES",
    "BaselineResult",
    "Evaluation",
    "Splits",
    "TrainConfig",
    "TrainResult",
    "compact",
    "evaluate",
    "label_maps",
    "load_splits",
    "plot_confusion",
    "read_examples",
    "score",
    "train",
    "train_baseline",
]

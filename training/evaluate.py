"""Scoring a classifier with scikit-learn: per-label precision/recall/F1, macro-F1, confusion matrix."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from model.errors import InputError
from model.predictor import DEFAULT_BATCH_SIZE
from training.data import read_examples


@dataclass
class Evaluation:
    labels: list[str]
    per_label: dict[str, dict[str, float]]  # label -> precision, recall, f1, support
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]  # rows: true label, columns: predicted label, in `labels` order
    n: int

    def to_dict(self) -> dict:
        return asdict(self)

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def score(true: list[str], predicted: list[str], labels: list[str]) -> Evaluation:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=labels, zero_division=0
    )
    per_label = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    present = [label for label in labels if per_label[label]["support"] > 0]
    return Evaluation(
        labels=labels,
        per_label=per_label,
        macro_f1=float(sum(per_label[label]["f1"] for label in present) / max(len(present), 1)),
        accuracy=float(accuracy_score(true, predicted)),
        confusion=confusion_matrix(true, predicted, labels=labels).tolist(),
        n=len(true),
    )


def evaluate(model_dir: Path | None, data_file: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> Evaluation:
    """Label every paragraph of `data_file` with the model and score it against the file's labels."""
    from model.predictor import load_predictor

    rows = read_examples(Path(data_file))
    predictor = load_predictor(model_dir)
    unknown = sorted({r["label"] for r in rows} - set(predictor.labels))
    if unknown:
        raise InputError(f"{data_file}: labels {unknown} are not among the model's labels {predictor.labels}")
    predictions = predictor.predict([r["text"] for r in rows], batch_size=batch_size)
    return score([r["label"] for r in rows], [p.label for p in predictions], predictor.labels)


def plot_confusion(evaluation: Evaluation, path: Path, title: str = "") -> None:
    """Draw the confusion matrix to a PNG (counts, rows = true label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    display = ConfusionMatrixDisplay(np.array(evaluation.confusion), display_labels=evaluation.labels)
    display.plot(ax=ax, cmap="Blues", xticks_rotation=35, colorbar=False)
    ax.set_title(title or f"macro-F1 {evaluation.macro_f1:.3f}, accuracy {evaluation.accuracy:.3f}, n={evaluation.n}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

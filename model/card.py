"""The model card: how a model was made, stored beside its weights.

`model_card.json` is the machine-readable record (read by `info` and the Predictor);
`README.md` is the same written out for people, in the Hugging Face convention.
"""

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from model.errors import InputError

CARD_FILE = "model_card.json"


@dataclass
class ModelCard:
    labels: list[str]
    base_model: str
    format: str = "full"  # "full": complete weights; "tuned-fp16" or "lora": stored on top of base_model
    base_sha256: str = ""  # of the base weights a tuned-fp16 or LoRA model was laid over (checked at load)
    data_sha256: str = ""
    data_size: dict[str, int] = field(default_factory=dict)  # paragraphs per split
    seed: int = 0
    metrics: dict = field(default_factory=dict)  # split name -> metric name -> value
    comparison: dict = field(default_factory=dict)  # another model trained on the same splits -> its figures
    training: dict = field(default_factory=dict)  # the TrainConfig used
    max_length: int = 256
    temperature: float = 1.0  # divides the logits before softmax (fitted on validation)
    created: str = ""
    notes: str = ""

    def problem(self) -> str:
        """What makes this card unusable ("" when nothing): scores would be NaN or labels ambiguous."""
        if not isinstance(self.temperature, (int, float)) or not math.isfinite(self.temperature) or self.temperature <= 0:
            return f"temperature must be a positive number, got {self.temperature!r}"
        if not isinstance(self.labels, list) or not all(isinstance(label, str) for label in self.labels):
            return "labels must be a list of names"
        if len(set(self.labels)) != len(self.labels):
            return f"duplicate labels in {self.labels}"
        if not isinstance(self.max_length, int) or not 8 <= self.max_length <= 512:
            return f"max_length must be 8 to 512 tokens, got {self.max_length!r}"
        return ""

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        (directory / CARD_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        (directory / "README.md").write_text(self.to_markdown(), encoding="utf-8")

    def to_markdown(self) -> str:
        lines = [
            "# conflict-paragraphs model",
            "",
            f"- Labels: {', '.join(self.labels)}",
            f"- Base model: {self.base_model} ({self.format} weights"
            + (f"; base weights sha256 {self.base_sha256}" if self.base_sha256 else "") + ")",
            f"- Data: sha256 {self.data_sha256 or 'unknown'}; "
            + ", ".join(f"{k} {v}" for k, v in self.data_size.items()),
            f"- Seed: {self.seed}; max length {self.max_length} tokens; temperature {self.temperature:.3f}",
            f"- Created: {self.created}",
        ]
        lines += [f"- Metrics on {split}: {_figures(metrics)}" for split, metrics in self.metrics.items()]
        lines += [f"- For comparison, {name.replace('_', ' ')}: {_figures(figures)}" for name, figures in self.comparison.items()]
        if self.notes:
            lines += ["", self.notes]
        return "\n".join(lines) + "\n"


def _figures(values: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in values.items() if isinstance(v, (int, float)))


def read_card(directory: Path) -> ModelCard:
    """Read the card of a model directory; a directory without one is not a model of ours."""
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise InputError(f"{directory}: no {CARD_FILE}; not a model directory written by conflict-paragraphs")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        card = ModelCard(**data)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: unreadable model card ({exc})") from None
    problem = card.problem()
    if problem:
        raise InputError(f"{directory}: unusable model card ({problem})")
    return card

"""The Predictor: a loaded model that labels paragraphs, and the module-level `predict`.

Importing this module does not import torch; loading a model does. Paragraphs are batched
in order of length (each batch padded only to its own longest paragraph), and a paragraph
longer than the model's window is read as overlapping windows whose probabilities are
averaged, so its end is never silently cut off.
"""

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BATCH_SIZE = 32
WINDOW_STRIDE = 64  # tokens shared by consecutive windows of a long paragraph


@dataclass(frozen=True)
class Prediction:
    label: str  # the most probable label
    score: float  # its probability
    scores: dict[str, float] = field(default_factory=dict)  # every label's probability; they sum to 1


def _check_texts(texts) -> tuple[list[str], bool]:
    """Return (texts as a list, whether a single str was given); name the index of a bad item."""
    if isinstance(texts, str):
        return [texts], True
    if texts is None or not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be a str or a list of str, not {type(texts).__name__}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, not {type(text).__name__}")
    return texts, False


class Predictor:
    """A model ready to label paragraphs; reusable and safe to share between threads."""

    def __init__(self, model, tokenizer, card):
        self.model = model
        self.tokenizer = tokenizer
        self.card = card
        self.max_length = min(card.max_length, getattr(model.config, "max_position_embeddings", 512))
        self.temperature = card.temperature or 1.0
        self._tokenizer_lock = threading.Lock()  # fast tokenizers refuse concurrent calls
        id2label = model.config.id2label
        self.labels: list[str] = [id2label[i] for i in range(len(id2label))]

    def predict(self, texts, batch_size: int = DEFAULT_BATCH_SIZE):
        """Label one paragraph (str -> Prediction) or many (list -> list of Prediction, same order)."""
        texts, single = _check_texts(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        probabilities = self.predict_proba(texts, batch_size)
        predictions = [self._prediction(row) for row in probabilities]
        return predictions[0] if single else predictions

    def predict_proba(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE):
        """A (len(texts), len(labels)) numpy array of calibrated probabilities."""
        import numpy as np

        result = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            result[batch] = self._batch_proba([texts[i] for i in batch])
        return result

    def _batch_proba(self, texts: list[str]):
        import torch

        with self._tokenizer_lock:
            encoded = self.tokenizer(
                texts,
                truncation=True,
                max_length=self.max_length,
                stride=WINDOW_STRIDE,
                return_overflowing_tokens=True,
                padding=True,
                return_tensors="pt",
            )
        owner = encoded.pop("overflow_to_sample_mapping")
        inputs = {k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.inference_mode():
            logits = self.model(**inputs).logits.float()
        window_proba = torch.softmax(logits / self.temperature, dim=-1)
        # Average the windows of each paragraph (one window for all but long paragraphs).
        summed = torch.zeros(len(texts), window_proba.shape[1]).index_add_(0, owner, window_proba)
        counts = torch.bincount(owner, minlength=len(texts)).clamp(min=1).unsqueeze(1)
        return (summed / counts).double().numpy()

    def _prediction(self, row) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.labels, row)}
        label = max(scores, key=scores.get)
        return Prediction(label=label, score=scores[label], scores=scores)


def load_predictor(path: str | Path | None = None) -> Predictor:
    """Load a model directory (default: the shipped model) into a reusable Predictor."""
    import torch

    from model.loading import load_model

    torch.set_num_threads(os.cpu_count() or 1)
    return Predictor(*load_model(Path(path) if path is not None else None))


_default_predictor: Predictor | None = None
_default_lock = threading.Lock()


def predict(texts, batch_size: int = DEFAULT_BATCH_SIZE):
    """Label paragraphs with the shipped model, loaded once on first use."""
    global _default_predictor
    texts_checked, single = _check_texts(texts)
    with _default_lock:
        if _default_predictor is None:
            _default_predictor = load_predictor()
    return _default_predictor.predict(texts_checked[0] if single else texts_checked, batch_size)

"""The Predictor: a loaded model that labels paragraphs, and the module-level `predict`.

Importing this module imports neither torch nor transformers. Paragraphs are tokenised with
the `tokenizers` library, batched in order of length (each batch padded only to its own
longest paragraph) and run by a backend: ONNX Runtime (int8, the fast path, when the model has
been exported) or PyTorch. A paragraph longer than the model's window is read as overlapping
windows, so its end is never silently cut off.
"""

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BATCH_SIZE = 32
WINDOW_STRIDE = 64  # tokens shared by consecutive windows of a long paragraph
CLOSE_CALL_MARGIN = 0.9  # windows whose top two probabilities are closer than this are rerun batch-free
# close calls rerun this many at a time at most: the batch-free graph computes in fp32, and its
# memory for a batch of full windows is mostly attention scores (batch x 12 heads x width squared)
CLOSE_CALL_BATCH = 8
BACKGROUND_LABEL = "other"  # a window with this label does not outvote windows that report something


@dataclass(frozen=True)
class Prediction:
    label: str  # the most probable label
    score: float  # its probability
    scores: dict[str, float] = field(default_factory=dict)  # every label's probability; they sum to 1


def softmax(logits, temperature: float = 1.0):
    """Probabilities from logits divided by a temperature (the calibration fitted on validation)."""
    import numpy as np

    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(text: str) -> str:
    """Lone surrogates (from broken UTF-16 or JSON) are not text: the tokenizer refuses them, so they become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


class Predictor:
    """A model ready to label paragraphs; reusable and safe to share between threads."""

    def __init__(self, backend, tokenizer, card, labels: list[str]):
        self.backend = backend  # callable: (input_ids, attention_mask, token_type_ids) int64 arrays -> logits
        self.card = card
        self.labels = labels
        self.temperature = card.temperature or 1.0
        self.max_length = min(card.max_length, 512)
        self.tokenizer = tokenizer
        # consecutive windows share WINDOW_STRIDE tokens, or a quarter of a short window
        tokenizer.enable_truncation(max_length=self.max_length, stride=min(WINDOW_STRIDE, self.max_length // 4))
        tokenizer.no_padding()
        self._background = labels.index(BACKGROUND_LABEL) if BACKGROUND_LABEL in labels else None

    def predict(self, texts: str | list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> Prediction | list[Prediction]:
        """Label one paragraph or many.

        Args:
            texts: one paragraph, or a list of them.
            batch_size: model windows per forward pass (speed against memory).

        Returns:
            A Prediction for a str; for a list, a list of Predictions in the same order.
        """
        texts, single = _check_texts(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        predictions = [self._prediction(row) for row in self.predict_proba(texts, batch_size)]
        return predictions[0] if single else predictions

    def explain(self, texts: str | list[str], batch_size: int = DEFAULT_BATCH_SIZE):
        """Why each paragraph got its label: an Explanation (str) or a list of them (list), see model.explain."""
        from model.explain import explain

        texts, single = _check_texts(texts)
        explanations = explain(self, texts, batch_size)
        return explanations[0] if single else explanations

    def predict_proba(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, temperature: float | None = None):
        """A (len(texts), len(labels)) numpy array of probabilities.

        Calibrated with the model's fitted temperature unless `temperature` is given (1.0: raw softmax).
        """
        import numpy as np

        scale = self.temperature if temperature is None else temperature
        if scale <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        result = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        if not texts:
            return result
        texts = [_without_surrogates(t) for t in texts]
        encodings = self.tokenizer.encode_batch(texts)  # thread-safe, and releases the GIL
        windows, owners = [], []
        for i, encoding in enumerate(encodings):
            for window in [encoding, *encoding.overflowing]:
                windows.append(window)
                owners.append(i)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w].ids))
        window_proba = np.zeros((len(windows), len(self.labels)), dtype=np.float64)
        self._run(self.backend, windows, order, batch_size, scale, window_proba)
        # int8 scores move with the batch (see model.onnx); a close call must not, so it is
        # scored again by a backend where nothing depends on its neighbours (none: already so)
        ranked = np.sort(window_proba, axis=1)
        close = [w for w in order if ranked[w, -1] - ranked[w, -2] < CLOSE_CALL_MARGIN]
        if close and (batch_free := getattr(self.backend, "batch_free", None)) is not None:
            self._run(batch_free, windows, close, min(batch_size, CLOSE_CALL_BATCH), scale, window_proba)
        return self._combine(window_proba, np.asarray(owners), result)

    def reserve_memory(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        """Run the largest batch this Predictor can make (`batch_size` full windows) through each backend.

        A runtime's memory pool grows to the largest batch it has seen and keeps what it took, so a
        long job would grow part-way through, whenever a wider batch or a larger set of close calls
        first came. After this call its memory starts at that ceiling, at the cost of one such batch each.
        """
        import numpy as np

        def run(backend, rows: int) -> None:
            shape = (rows, self.max_length)
            backend(np.ones(shape, dtype=np.int64), np.ones(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64))

        run(self.backend, batch_size)
        if (batch_free := getattr(self.backend, "batch_free", None)) is not None:
            run(batch_free, min(batch_size, CLOSE_CALL_BATCH))

    def _run(self, backend, windows, order, batch_size, scale, window_proba) -> None:
        """Fill `window_proba` for the windows listed in `order`, a batch at a time."""
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            window_proba[batch] = softmax(backend(*self._pad([windows[w] for w in batch])), scale)

    def _pad(self, windows):
        import numpy as np

        width = max(len(w.ids) for w in windows)
        arrays = [np.zeros((len(windows), width), dtype=np.int64) for _ in range(3)]
        for row, w in enumerate(windows):
            n = len(w.ids)
            arrays[0][row, :n], arrays[1][row, :n], arrays[2][row, :n] = w.ids, w.attention_mask, w.type_ids
        return arrays

    def _combine(self, window_proba, owners, result):
        """Average each paragraph's windows; background windows count only when all are background."""
        top = window_proba.argmax(axis=1)
        for i in range(len(result)):
            mine = window_proba[owners == i]
            if len(mine) > 1 and self._background is not None:
                reporting = top[owners == i] != self._background
                if reporting.any():
                    mine = mine[reporting]
            result[i] = mine.mean(axis=0)
        return result

    def _prediction(self, row) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.labels, row)}
        label = max(scores, key=scores.get)
        return Prediction(label=label, score=scores[label], scores=scores)


class TorchBackend:
    """Runs a transformers sequence-classification model on numpy batches."""

    def __init__(self, model):
        self.model = model

    def __call__(self, input_ids, attention_mask, token_type_ids):
        import torch

        with torch.inference_mode():
            inputs = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention_mask)}
            if getattr(self.model.config, "type_vocab_size", 0):
                inputs["token_type_ids"] = torch.from_numpy(token_type_ids)
            return self.model(**inputs).logits.float().numpy()


def load_predictor(path: str | Path | None = None, backend: str = "auto") -> Predictor:
    """Load a model directory into a reusable Predictor.

    Args:
        path: a model directory as `train`, `compact` or `export --format hf` write it; default:
            the shipped model.
        backend: "onnx" (ONNX Runtime int8, exported with `conflict-paragraphs export`), "torch",
            or "auto": ONNX when an export of this model exists, else PyTorch.

    Returns:
        A Predictor, safe to share between threads.
    """
    from model.errors import InputError
    from model.loading import DEFAULT_MODEL_DIR, check_model_dir, labels_in_order, load_card, onnx_path

    directory = Path(path) if path is not None else DEFAULT_MODEL_DIR
    backend = getattr(backend, "value", backend)  # the CLI passes its Enum
    if backend not in ("auto", "onnx", "torch"):
        raise InputError(f"unknown backend {backend!r}; choose auto, onnx or torch")
    config = check_model_dir(directory)
    exported = onnx_path(directory)
    if backend == "onnx" or (backend == "auto" and exported.is_file()):
        from model.onnx import load_onnx_backend

        card = load_card(directory, config)
        return Predictor(load_onnx_backend(exported, directory), _tokenizer(directory), card, labels_in_order(config))
    import torch

    from model.loading import load_model

    torch.set_num_threads(inference_threads())
    model, card = load_model(directory)
    return Predictor(TorchBackend(model), _tokenizer(directory), card, labels_in_order(config))


def inference_threads() -> int:
    """Threads a model runs on: OMP_NUM_THREADS when set (a Ray worker's is its share of CPUs), else every core.

    Several workers on one machine (Ray actors, one per core) would otherwise each start a
    thread per core and fight over them.
    """
    given = os.environ.get("OMP_NUM_THREADS", "")
    return int(given) if given.isdigit() and int(given) > 0 else os.cpu_count() or 1


def _tokenizer(directory: Path):
    from tokenizers import Tokenizer

    from model.errors import InputError, first_line

    try:
        return Tokenizer.from_file(str(directory / "tokenizer.json"))
    except Exception as exc:  # missing or corrupt tokenizer.json
        raise InputError(f"{directory}: cannot load tokenizer.json ({first_line(exc)})") from None


_default_predictor: Predictor | None = None
_default_lock = threading.Lock()


def predict(texts: str | list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> Prediction | list[Prediction]:
    """Label paragraphs with the shipped model, loaded once on first use.

    Args:
        texts: one paragraph, or a list of them.
        batch_size: model windows per forward pass.

    Returns:
        A Prediction for a str; for a list, a list of Predictions in the same order.
    """
    global _default_predictor
    checked, single = _check_texts(texts)  # a bad argument fails before the model loads
    with _default_lock:
        if _default_predictor is None:
            _default_predictor = load_predictor()
    return _default_predictor.predict(checked[0] if single else checked, batch_size)

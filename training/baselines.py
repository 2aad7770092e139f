"""The baselines every claim about the fine-tuned model is compared with, on the same splits.

- tfidf: word and bigram TF-IDF + logistic regression, what a careful analyst builds in an hour;
- embeddings: the frozen base model's mean-pooled sentence embeddings + logistic regression,
  i.e. the base model's knowledge without any fine-tuning.
"""

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from model.atomic import replace_dir, staging_dir
from model.errors import InputError
from model.loading import DEFAULT_BASE_MODEL, is_local, resolve_base_model
from model.predictor import DEFAULT_BATCH_SIZE
from training.config import TrainConfig
from training.data import Splits
from training.evaluate import Evaluation, plot_confusion, score

BASELINES = ("tfidf", "embeddings")
BASELINE_REPORT = "baseline.json"


@dataclass
class BaselineResult:
    kind: str
    evaluations: dict[str, Evaluation]  # split name -> scores
    train_seconds: float

    def metrics(self) -> dict[str, dict[str, float]]:
        """Split name -> macro-F1 and accuracy, as a model card's metrics."""
        return {split: {"macro_f1": e.macro_f1, "accuracy": e.accuracy} for split, e in self.evaluations.items()}


def embed(texts: list[str], base_model: str = DEFAULT_BASE_MODEL, batch_size: int = DEFAULT_BATCH_SIZE,
          max_length: int = TrainConfig.max_length):
    """Mean-pooled, L2-normalised embeddings of `texts` from the frozen base model."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    base = resolve_base_model(base_model)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=is_local(base), trust_remote_code=False)
    encoder = AutoModel.from_pretrained(base, local_files_only=is_local(base), use_safetensors=True, trust_remote_code=False).eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer(texts[start : start + batch_size], truncation=True, max_length=max_length,
                                padding=True, return_tensors="pt")
            hidden = encoder(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(chunks).numpy()


def make_baseline(kind: str, base_model: str = DEFAULT_BASE_MODEL):
    """An unfitted scikit-learn estimator that maps raw texts to labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    classifier = LogisticRegression(max_iter=3000, C=10.0, class_weight="balanced")
    if kind == "tfidf":
        vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, strip_accents="unicode")
        return make_pipeline(vectoriser, classifier)
    if kind == "embeddings":
        return make_pipeline(FunctionTransformer(lambda texts: embed(list(texts), base_model)), classifier)
    raise InputError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")


def train_baseline(kind: str, splits: Splits, base_model: str = DEFAULT_BASE_MODEL) -> BaselineResult:
    """Fit on train, score on validation (and test when there is one)."""
    estimator = make_baseline(kind, base_model)
    started = time.perf_counter()
    estimator.fit([r["text"] for r in splits.train], [r["label"] for r in splits.train])
    seconds = time.perf_counter() - started
    evaluations = {}
    for split in ("validation", "test"):
        rows = getattr(splits, split)
        if rows:
            predicted = list(estimator.predict([r["text"] for r in rows]))
            evaluations[split] = score([r["label"] for r in rows], predicted, splits.labels)
    return BaselineResult(kind=kind, evaluations=evaluations, train_seconds=seconds)


def write_baseline(kind: str, splits: Splits, output: Path, base_model: str = DEFAULT_BASE_MODEL) -> BaselineResult:
    """Train a baseline and write its report directory: baseline.json and a confusion matrix per split.

    The directory is built beside `output` and put in place whole, as a trained model is.
    """
    result = train_baseline(kind, splits, base_model)
    output = Path(output)
    staging = staging_dir(output)
    staging.mkdir(parents=True)
    try:
        report = {"baseline": kind, "train_seconds": result.train_seconds, "data_sha256": splits.sha256,
                  **{split: e.to_dict() for split, e in result.evaluations.items()}}
        (staging / BASELINE_REPORT).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        for split, evaluation in result.evaluations.items():
            plot_confusion(evaluation, staging / f"confusion_{split}.png", f"{kind} baseline, {split}")
        replace_dir(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result

"""Why a paragraph got its label: word occlusion, run through the model itself.

Each word (or, in a long paragraph, each run of a few words) is deleted in turn and the
paragraph is labelled again. A span's weight is how much its deletion lowers the log-odds of
the predicted label against the runner-up: positive spans pushed the paragraph toward its
label, negative ones toward the runner-up. Occlusion needs nothing but forward passes, so it
runs on the fast int8 path (about 300 variants a second on 2 cores) and explains exactly the
model that gave the label, with no gradient approximation.
"""

import math
import re
from dataclasses import dataclass

from model.predictor import DEFAULT_BATCH_SIZE

WORD = re.compile(r"\w[\w'’\-.,]*\w|\w")  # a word, keeping inner apostrophes, hyphens and number separators
MAX_SPANS = 60  # longer paragraphs are occluded in runs of several words, so the cost stays bounded


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # character offsets into the paragraph
    end: int
    weight: float  # log-odds of the label over the runner-up lost when this span is deleted

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class Explanation:
    label: str
    runner_up: str
    spans: list[Span]  # in reading order

    def top(self, n: int = 5) -> list[Span]:
        """The n spans that pushed hardest toward the label."""
        return sorted((s for s in self.spans if s.weight > 0), key=lambda s: -s.weight)[:n]


def spans_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word, grouped into at most MAX_SPANS runs of consecutive words."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    size = max(1, math.ceil(len(words) / MAX_SPANS))
    return [(words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)]


def without(text: str, start: int, end: int) -> str:
    """The paragraph with one span deleted (and the space before it, so no double spaces remain)."""
    head = text[:start].rstrip(" ") if text[end:end + 1] in (" ", "") else text[:start]
    return head + text[end:]


def explain(predictor, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Explanation]:
    """One Explanation per paragraph, computed on `predictor`'s own model."""
    import numpy as np

    base = predictor.predict_proba(texts, batch_size, temperature=1.0)
    variants, owners, offsets = [], [], []
    for i, text in enumerate(texts):
        for start, end in spans_of(text):
            variants.append(without(text, start, end))
            owners.append(i)
            offsets.append((start, end))
    occluded = predictor.predict_proba(variants, batch_size, temperature=1.0) if variants else np.zeros((0, len(predictor.labels)))
    log_base, log_occluded = np.log(base + 1e-12), np.log(occluded + 1e-12)
    explanations = []
    for i, text in enumerate(texts):
        ranked = np.argsort(-base[i])
        label, runner_up = int(ranked[0]), int(ranked[1]) if len(ranked) > 1 else int(ranked[0])
        margin = log_base[i, label] - log_base[i, runner_up]
        spans = [
            Span(text[start:end], start, end, float(margin - (log_occluded[j, label] - log_occluded[j, runner_up])))
            for j, (owner, (start, end)) in enumerate(zip(owners, offsets)) if owner == i
        ]
        explanations.append(Explanation(predictor.labels[label], predictor.labels[runner_up], spans))
    return explanations

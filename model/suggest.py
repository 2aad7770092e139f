"""What to label next: the paragraphs of a pool that a model is least sure of, spread over the pool.

Active learning's two rules, kept simple (Settles 2009): ask about what the model finds hard
(a small margin between its two most probable labels), and do not ask the same question twice
(near-duplicates of a chosen paragraph add little). Each paragraph gets one forward pass that
yields both its scores and an embedding (the pooled [CLS] vector the classifier reads). The
`CANDIDATES_PER_PICK * n` least certain paragraphs are kept while the pool streams by, so memory
does not grow with the pool; among them a greedy farthest-point pick weighs each one's
uncertainty by its cosine distance to those already chosen.
"""

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from model.errors import InputError
from model.predictor import DEFAULT_BATCH_SIZE, Predictor, softmax

CANDIDATES_PER_PICK = 5  # uncertain paragraphs kept per one asked for: the room the spread has to work in
POOL_CHUNK = 512  # paragraphs scored at a time


@dataclass(frozen=True)
class Suggestion:
    text: str
    source: str  # where the paragraph came from (file, URL or "<stdin>")
    guess: str  # the model's label, preselected by `annotate`
    score: float  # its calibrated probability
    margin: float  # its lead over the runner-up: small is uncertain

    def row(self) -> dict:
        return {"text": self.text, "guess": self.guess, "score": round(self.score, 4),
                "margin": round(self.margin, 4), "source": self.source}


def pool_paragraphs(sources: Iterable[str], recursive: bool = False, lines: bool = False,
                    warn: Callable[[str], None] = lambda m: print(f"warning: {m}", file=sys.stderr)) -> Iterator[tuple[str, str]]:
    """(source, paragraph) pairs from articles (as `classify` reads them) and from JSONL files with a `text` column."""
    from model.classify import expand_sources, open_source, source_paragraphs

    jsonl = [s for s in sources if s.lower().endswith(".jsonl") and Path(s).is_file()]
    articles = expand_sources([s for s in sources if s not in jsonl], recursive=recursive) if len(jsonl) < len(sources) else []
    for path in jsonl:
        for text in read_texts(Path(path)):
            yield path, text
    for source in articles:
        name = "<stdin>" if source == "-" else source
        with open_source(source) as stream:
            for paragraph in source_paragraphs(stream, lines=lines, name=name, warn=warn):
                yield name, paragraph


def read_texts(path: Path) -> Iterator[str]:
    """The `text` of every row of a JSONL file; a row without one is an error naming its line."""
    for number, row in jsonl_rows(path):
        if not isinstance(row.get("text"), str):
            raise InputError(f"{path}:{number}: expected an object with a 'text' string")
        if row["text"].strip():
            yield row["text"].strip()


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file; a line that is not an object gives {}."""
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as rows:
            for number, line in enumerate(rows, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
                    yield number, row if isinstance(row, dict) else {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def suggest(paragraphs: Iterable[tuple[str, str]], predictor: Predictor, n: int = 100,
            exclude: Iterable[str] = (), batch_size: int = DEFAULT_BATCH_SIZE,
            progress: Callable[[int], None] | None = None) -> list[Suggestion]:
    """The `n` paragraphs most worth labelling, most useful first; none in `exclude` or repeated in the pool.

    `paragraphs` are (source, text) pairs, as `pool_paragraphs` yields them; `progress` is told how
    many more paragraphs were scored after each chunk.
    """
    import numpy as np

    from training.data import normalise

    if n < 1:
        raise InputError(f"-n must be at least 1, got {n}")
    seen = {hash(normalise(text)) for text in exclude}
    embed = embedding_backend(predictor)
    keep = n * CANDIDATES_PER_PICK
    kept: list[tuple[str, str]] = []
    kept_proba, kept_vectors = np.zeros((0, len(predictor.labels))), np.zeros((0, 0), dtype=np.float32)

    for chunk in _chunks(paragraphs, seen):
        proba, vectors = _score(predictor, embed, [text for _, text in chunk], batch_size)
        kept += chunk
        kept_proba = np.vstack([kept_proba, proba])
        kept_vectors = vectors if not len(kept_vectors) else np.vstack([kept_vectors, vectors])
        if len(kept) > keep:  # keep the least certain only: memory does not grow with the pool
            best = np.argsort(_margins(kept_proba), kind="stable")[:keep]
            kept, kept_proba, kept_vectors = [kept[i] for i in best], kept_proba[best], kept_vectors[best]
        if progress:
            progress(len(chunk))
    if not kept:
        return []
    picked = spread_pick(1.0 - _margins(kept_proba), kept_vectors, min(n, len(kept)))
    # the guess shown is the Predictor's own (batch-independent, long paragraphs read whole)
    guesses = predictor.predict([kept[i][1] for i in picked], batch_size=batch_size)
    margins = _margins(np.array([[g.scores[label] for label in predictor.labels] for g in guesses]))
    return [Suggestion(kept[i][1], kept[i][0], g.label, g.score, float(m)) for i, g, m in zip(picked, guesses, margins)]


def spread_pick(uncertainty, vectors, n: int) -> list[int]:
    """Greedy farthest-point selection weighted by uncertainty: start from the least certain, then
    repeatedly take the one with the largest uncertainty x cosine distance to its nearest pick."""
    import numpy as np

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    first = int(np.argmax(uncertainty))
    picked = [first]
    nearest = 1.0 - unit @ unit[first]  # cosine distance to the nearest pick so far
    for _ in range(n - 1):
        gain = np.maximum(nearest, 0.0) * uncertainty
        gain[picked] = -1.0
        chosen = int(np.argmax(gain))
        picked.append(chosen)
        nearest = np.minimum(nearest, 1.0 - unit @ unit[chosen])
    return picked


def _chunks(paragraphs: Iterable[tuple[str, str]], seen: set[int]) -> Iterator[list[tuple[str, str]]]:
    """Chunks of new paragraphs: a text already seen (labelled, or earlier in the pool) is skipped."""
    from training.data import normalise

    chunk = []
    for source, text in paragraphs:
        key = hash(normalise(text))
        if key in seen or not text.strip():
            continue
        seen.add(key)
        chunk.append((source, text))
        if len(chunk) == POOL_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _margins(proba):
    import numpy as np

    ranked = np.sort(proba, axis=1)
    return ranked[:, -1] - ranked[:, -2]


def _score(predictor: Predictor, embed, texts: list[str], batch_size: int):
    """Calibrated probabilities and embeddings of each paragraph's first window, in one forward pass."""
    import numpy as np

    encodings = predictor.tokenizer.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    proba, vectors = np.zeros((len(texts), len(predictor.labels))), None
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        logits, embedded = embed(*predictor._pad([encodings[i] for i in batch]))
        if vectors is None:
            vectors = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
        proba[batch], vectors[batch] = softmax(logits, predictor.temperature), embedded
    return proba, vectors


def embedding_backend(predictor: Predictor) -> Callable:
    """A callable like the Predictor's backend that returns (logits, pooled [CLS] embeddings)."""
    from model.onnx import OnnxBackend
    from model.predictor import TorchBackend

    if isinstance(predictor.backend, OnnxBackend):
        return _onnx_embeddings(predictor.backend)
    if isinstance(predictor.backend, TorchBackend):
        return _torch_embeddings(predictor.backend.model)
    raise InputError(f"suggest cannot read embeddings from a {type(predictor.backend).__name__} backend")


def _onnx_embeddings(backend) -> Callable:
    """The exported graph with one more output: the input of the classifier (BERT's pooled vector)."""
    import onnx

    from model.onnx import session_for

    graph = onnx.load(str(backend.path))
    pooled = [node.output[0] for node in graph.graph.node if node.op_type == "Tanh"]  # BERT's pooler
    if not pooled:
        raise InputError(f"{backend.path}: no pooled [CLS] vector in the graph; use --backend torch")
    graph.graph.output.append(onnx.helper.make_tensor_value_info(pooled[-1], onnx.TensorProto.FLOAT, None))
    session = session_for(graph.SerializeToString(), backend.path)
    names = {i.name for i in session.get_inputs()}

    def run(input_ids, attention_mask, token_type_ids):
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        logits, vectors = session.run(["logits", pooled[-1]], {k: v for k, v in feeds.items() if k in names})
        return logits, vectors

    return run


def _torch_embeddings(model) -> Callable:
    def run(input_ids, attention_mask, token_type_ids):
        import torch

        with torch.inference_mode():
            inputs = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention_mask)}
            if getattr(model.config, "type_vocab_size", 0):
                inputs["token_type_ids"] = torch.from_numpy(token_type_ids)
            out = model(**inputs, output_hidden_states=True)
            return out.logits.float().numpy(), out.hidden_states[-1][:, 0].float().numpy()

    return run

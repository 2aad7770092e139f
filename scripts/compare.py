"""Compare every model side by side on the same splits, and on the held-out challenge set.

    python scripts/compare.py                 # 5 fine-tune seeds (about 45 minutes on 2 cores)
    python scripts/compare.py --seeds 1       # quicker

Runs TF-IDF + logistic regression, frozen MiniLM embeddings + logistic regression, a full
fine-tune (mean and spread over seeds) and the shipped model; prints one table and writes
reports/quality.md, reports/quality.json and a confusion-matrix PNG per model. The challenge
set (data/challenge.jsonl) is only ever scored here, never trained or tuned on.
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import load_predictor  # noqa: E402
from training import TrainConfig, load_splits, plot_confusion, read_examples, score, train  # noqa: E402
from training.baselines import make_baseline  # noqa: E402
from training.calibration import expected_calibration_error  # noqa: E402

REPORTS = ROOT / "reports"
FULL_FINETUNE = dict(learning_rate=5e-5, epochs=3)  # as in make_shipped_model.py


def timed_predict(predict, texts: list[str]) -> tuple[list[str], float]:
    started = time.perf_counter()
    labels = list(predict(texts))
    return labels, len(texts) / (time.perf_counter() - started)


def evaluate_sets(name: str, predict, sets: dict[str, list[dict]], labels: list[str], train_seconds: float) -> dict:
    result = {"model": name, "train_seconds": round(train_seconds, 1)}
    for set_name, rows in sets.items():
        predicted, speed = timed_predict(predict, [r["text"] for r in rows])
        evaluation = score([r["label"] for r in rows], predicted, labels)
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        plot_confusion(evaluation, REPORTS / f"confusion_{slug}_{set_name}.png", f"{name}, {set_name}")
        result[set_name] = {"macro_f1": evaluation.macro_f1, "accuracy": evaluation.accuracy,
                            "per_label_f1": {k: v["f1"] for k, v in evaluation.per_label.items()},
                            "paragraphs_per_second": round(speed, 1), "predicted": predicted}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fine-tune seeds (42, 43, ...)")
    args = parser.parse_args()
    REPORTS.mkdir(exist_ok=True)
    splits = load_splits(ROOT / "data")
    sets = {"test": splits.test, "challenge": read_examples(ROOT / "data" / "challenge.jsonl")}
    labels = splits.labels
    results = []

    for kind in ("tfidf", "embeddings"):
        print(f"baseline {kind}", flush=True)
        estimator = make_baseline(kind)
        started = time.perf_counter()
        estimator.fit([r["text"] for r in splits.train], [r["label"] for r in splits.train])
        results.append(evaluate_sets(f"{kind} + logreg", estimator.predict, sets, labels, time.perf_counter() - started))

    finetunes = []
    for seed in range(42, 42 + args.seeds):
        print(f"full fine-tune, seed {seed}", flush=True)
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            trained = train(TrainConfig(seed=seed, **FULL_FINETUNE), splits, Path(scratch) / "m", progress=False)
            seconds = time.perf_counter() - started
            predictor = load_predictor(trained.output)
            finetunes.append(evaluate_sets(f"full fine-tune seed {seed}", lambda t: [p.label for p in predictor.predict(t)],
                                           sets, labels, seconds))
    results.append(summarise_seeds(finetunes))

    print("shipped model", flush=True)
    shipped = load_predictor()
    backend = "ONNX int8" if type(shipped.backend).__name__ == "OnnxBackend" else "PyTorch"
    results.append(evaluate_sets(f"shipped model ({backend})", lambda t: [p.label for p in shipped.predict(t)], sets, labels,
                                 float(shipped.card.training.get("train_seconds", 0))))
    calibration = calibration_report(shipped, sets["test"])

    table = render_table(results, labels)
    print(table)
    analysis = error_analysis(results[-1], sets)
    (REPORTS / "quality.json").write_text(json.dumps(
        {"data_sha256": splits.sha256, "labels": labels, "calibration": calibration, "fine_tune_seeds": finetunes,
         "results": [{k: v for k, v in r.items()} for r in results]}, indent=2) + "\n", encoding="utf-8")
    notes = REPORTS / "error_analysis_notes.md"
    (REPORTS / "quality.md").write_text(
        "# Quality: every model on the same splits\n\n"
        f"Corpus sha256 `{splits.sha256[:16]}`; test split {len(splits.test)} paragraphs (held-out articles), "
        f"challenge set {len(sets['challenge'])} paragraphs (other voices, never trained or tuned on). "
        f"Made by `python scripts/compare.py --seeds {args.seeds}`.\n\n" + table + "\n\n"
        f"## Calibration (shipped model, test split)\n\nExpected calibration error {calibration['ece_before']:.4f} "
        f"before and {calibration['ece_after']:.4f} after temperature scaling (T = {calibration['temperature']:.3f}, "
        "fitted on validation).\n\n" + analysis
        + (notes.read_text(encoding="utf-8") if notes.exists() else ""), encoding="utf-8")


def summarise_seeds(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds, in the same shape as a single result."""
    def spread(values):
        return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}

    result = {"model": f"full fine-tune ({len(runs)} seeds)",
              "train_seconds": round(statistics.mean(r["train_seconds"] for r in runs), 1)}
    for set_name in ("test", "challenge"):
        result[set_name] = {
            "macro_f1": statistics.mean(r[set_name]["macro_f1"] for r in runs),
            "macro_f1_spread": spread([r[set_name]["macro_f1"] for r in runs]),
            "accuracy": statistics.mean(r[set_name]["accuracy"] for r in runs),
            "per_label_f1": {k: statistics.mean(r[set_name]["per_label_f1"][k] for r in runs)
                             for k in runs[0][set_name]["per_label_f1"]},
            "paragraphs_per_second": round(statistics.mean(r[set_name]["paragraphs_per_second"] for r in runs), 1),
        }
    return result


def calibration_report(predictor, rows: list[dict]) -> dict:
    import numpy as np

    truth = np.array([predictor.labels.index(r["label"]) for r in rows])
    texts = [r["text"] for r in rows]
    calibrated, raw = predictor.predict_proba(texts), predictor.predict_proba(texts, temperature=1.0)
    return {"temperature": predictor.temperature, "ece_before": expected_calibration_error(raw, truth),
            "ece_after": expected_calibration_error(calibrated, truth)}


def render_table(results: list[dict], labels: list[str]) -> str:
    short = {"military_action": "mil", "funding_policy": "fund", "casualty_report": "cas", "attribution": "attr", "other": "oth"}
    head = ["model", "test macro-F1", "challenge macro-F1", *(f"test F1 {short.get(l, l)}" for l in labels),
            "test accuracy", "train s", "paragraphs/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        def f1(set_name):
            spread = r[set_name].get("macro_f1_spread")
            return f"{r[set_name]['macro_f1']:.3f}" + (f" ± {spread['std']:.3f}" if spread else "")
        cells = [r["model"], f1("test"), f1("challenge"), *(f"{r['test']['per_label_f1'][l]:.3f}" for l in labels),
                 f"{r['test']['accuracy']:.3f}", f"{r['train_seconds']:.0f}", f"{r['test']['paragraphs_per_second']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def error_analysis(result: dict, sets: dict[str, list[dict]]) -> str:
    """The shipped model's most common confusions on test and challenge, with examples."""
    out = ["## Error analysis (shipped model)", ""]
    for set_name, rows in sets.items():
        pairs = Counter((r["label"], p) for r, p in zip(rows, result[set_name]["predicted"]) if r["label"] != p)
        out += [f"### {set_name}: {sum(pairs.values())} errors in {len(rows)} paragraphs", ""]
        for (truth, predicted), n in pairs.most_common(5):
            out.append(f"- **{truth} read as {predicted}** ({n}):")
            examples = [r["text"] for r, p in zip(rows, result[set_name]["predicted"]) if r["label"] == truth and p == predicted]
            for text in examples[:2]:
                out.append(f"  - \"{text[:220]}{'...' if len(text) > 220 else ''}\"")
        out.append("")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()

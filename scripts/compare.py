"""Compare every model side by side on the test split and the two held-out challenge sets.

    python scripts/compare.py                          # 5 fine-tune seeds (about an hour on 2 cores)
    python scripts/compare.py --seeds 0 --model DIR    # no seed runs; also score the trained models given

Runs TF-IDF + logistic regression, frozen MiniLM embeddings + logistic regression, a full
fine-tune (mean and spread over seeds), any --model directories and the shipped model (its int8
export and its fp32 weights); prints one table and writes reports/quality.md, reports/quality.json
and a confusion-matrix PNG per model and set, with calibration (ECE on every set, and what
`--min-confidence 0.8` keeps) and the sourcing-invariance table. The challenge sets
(data/challenge.jsonl: other voices; data/challenge_wire.jsonl: wire copy) are only ever scored
here, never trained, tuned or chosen on.
"""

import argparse
import dataclasses
import json
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from model import load_predictor
from training import FULL_FINETUNE, load_splits, make_baseline, plot_confusion, read_examples, score, train
from training.calibration import expected_calibration_error
from training.invariance import flip_rates, load_statements, render as render_invariance

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
HELD_OUT = {"challenge": "challenge.jsonl", "wire": "challenge_wire.jsonl"}  # scored here only
MIN_CONFIDENCE = 0.8  # the --min-confidence whose precision and coverage the calibration table reports


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


def labels_of(predictor):
    return lambda texts: [p.label for p in predictor.predict(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fine-tune seeds (42, 43, ...); 0 skips them")
    parser.add_argument("--model", type=Path, action="append", default=[], help="also score this model directory")
    args = parser.parse_args()
    REPORTS.mkdir(exist_ok=True)
    splits = load_splits(ROOT / "data")
    sets = {"test": splits.test, **{name: read_examples(ROOT / "data" / file) for name, file in HELD_OUT.items()}}
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
            trained = train(dataclasses.replace(FULL_FINETUNE, seed=seed), splits, Path(scratch) / "m", progress=False)
            seconds = time.perf_counter() - started
            finetunes.append(evaluate_sets(f"full fine-tune seed {seed}", labels_of(load_predictor(trained.output)),
                                           sets, labels, seconds))
    if finetunes:
        results.append(summarise_seeds(finetunes, list(sets)))

    for directory in args.model:
        print(f"model {directory}", flush=True)
        predictor = load_predictor(directory, backend="torch")
        results.append(evaluate_sets(f"{directory.name} (PyTorch)", labels_of(predictor), sets, labels,
                                     float(predictor.card.training.get("train_seconds", 0))))

    print("shipped model", flush=True)
    shipped = load_predictor()  # what users get: the int8 export
    train_seconds = float(shipped.card.training.get("train_seconds", 0))
    results.append(evaluate_sets("shipped model, fp32 weights (PyTorch)", labels_of(load_predictor(backend="torch")),
                                 sets, labels, train_seconds))
    results.append(evaluate_sets("shipped model, int8 (ONNX, the default)", labels_of(shipped), sets, labels, train_seconds))
    calibration = {name: calibration_report(shipped, rows) for name, rows in sets.items()}
    invariance = flip_rates(load_statements(ROOT / "data" / "invariance.jsonl"), labels_of(shipped))

    table = render_table(results, labels, list(sets))
    print(table)
    analysis = error_analysis(results[-1], sets)
    (REPORTS / "quality.json").write_text(json.dumps(
        {"data_sha256": splits.sha256, "labels": labels, "calibration": calibration, "invariance": invariance,
         "fine_tune_seeds": finetunes, "results": results}, indent=2) + "\n", encoding="utf-8")
    notes = REPORTS / "error_analysis_notes.md"
    (REPORTS / "quality.md").write_text(
        "# Quality: every model on the same sets\n\n"
        f"Corpus sha256 `{splits.sha256[:16]}`; test split {len(splits.test)} paragraphs (held-out articles); "
        f"challenge set {len(sets['challenge'])} paragraphs (other voices) and wire set {len(sets['wire'])} paragraphs "
        "(wire copy, written by writers who never read the corpus), neither ever trained, tuned or chosen on. "
        f"Made by `python scripts/compare.py --seeds {args.seeds}"
        + "".join(f" --model {d}" for d in args.model) + "`.\n\n" + table + "\n\n"
        + render_calibration(calibration, shipped.temperature) + "\n## Invariance under sourcing (shipped model, int8)\n\n"
        + render_invariance(invariance, len(load_statements(ROOT / "data" / "invariance.jsonl")), "shipped (int8)")
        + "\n" + analysis + (notes.read_text(encoding="utf-8") if notes.exists() else ""), encoding="utf-8")


def summarise_seeds(runs: list[dict], set_names: list[str]) -> dict:
    """Mean and standard deviation over seeds, in the same shape as a single result."""
    def spread(values):
        return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}

    result = {"model": f"full fine-tune ({len(runs)} seeds)",
              "train_seconds": round(statistics.mean(r["train_seconds"] for r in runs), 1)}
    for set_name in set_names:
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
    """ECE with raw and calibrated scores, and what a confidence threshold keeps and gets right."""
    import numpy as np

    truth = np.array([predictor.labels.index(r["label"]) for r in rows])
    texts = [r["text"] for r in rows]
    calibrated, raw = predictor.predict_proba(texts), predictor.predict_proba(texts, temperature=1.0)
    kept = calibrated.max(axis=1) >= MIN_CONFIDENCE
    correct = calibrated.argmax(axis=1) == truth
    return {"ece_raw": expected_calibration_error(raw, truth), "ece": expected_calibration_error(calibrated, truth),
            "accuracy": float(correct.mean()), "kept_share": float(kept.mean()),
            "kept_precision": float(correct[kept].mean()) if kept.any() else 0.0}


def render_calibration(calibration: dict, temperature: float) -> str:
    lines = [f"## Calibration (shipped model, int8; temperature {temperature:.3f})", "",
             f"| set | ECE raw (T = 1) | ECE calibrated | accuracy | kept at --min-confidence {MIN_CONFIDENCE} "
             "| right among kept |", "|---|---|---|---|---|---|"]
    for name, c in calibration.items():
        lines.append(f"| {name} | {c['ece_raw']:.3f} | {c['ece']:.3f} | {c['accuracy']:.3f} | {c['kept_share']:.1%} "
                     f"| {c['kept_precision']:.1%} |")
    return "\n".join(lines) + "\n"


def render_table(results: list[dict], labels: list[str], set_names: list[str]) -> str:
    short = {"military_action": "mil", "funding_policy": "fund", "casualty_report": "cas", "attribution": "attr", "other": "oth"}
    head = ["model", *(f"{name} macro-F1" for name in set_names), *(f"wire F1 {short.get(l, l)}" for l in labels),
            "train s", "paragraphs/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        def f1(set_name):
            spread = r[set_name].get("macro_f1_spread")
            return f"{r[set_name]['macro_f1']:.3f}" + (f" ± {spread['std']:.3f}" if spread else "")
        cells = [r["model"], *(f1(name) for name in set_names), *(f"{r['wire']['per_label_f1'][l]:.3f}" for l in labels),
                 f"{r['train_seconds']:.0f}", f"{r['test']['paragraphs_per_second']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def error_analysis(result: dict, sets: dict[str, list[dict]]) -> str:
    """The shipped model's confusions on every set; on the wire set, every error."""
    out = ["## Error analysis (shipped model, int8)", ""]
    for set_name, rows in sets.items():
        errors = [(r, p) for r, p in zip(rows, result[set_name]["predicted"]) if r["label"] != p]
        pairs = Counter((r["label"], p) for r, p in errors)
        out += [f"### {set_name}: {len(errors)} errors in {len(rows)} paragraphs", ""]
        for (truth, predicted), n in pairs.most_common(None if set_name == "wire" else 5):
            out.append(f"- **{truth} read as {predicted}** ({n}):")
            examples = [r["text"] for r, p in errors if r["label"] == truth and p == predicted]
            for text in examples if set_name == "wire" else examples[:2]:
                out.append(f"  - \"{text[:260]}{'...' if len(text) > 260 else ''}\"")
        out.append("")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()

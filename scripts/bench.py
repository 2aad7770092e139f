"""Benchmark the classifier on this machine's CPU and write reports/bench.json and reports/bench.md.

    python scripts/bench.py

Measured on the test split, its paragraphs repeated to at least 2,000, each method in its own
process (so peak memory is its own):
  (a) transformers.pipeline("text-classification"), batch size 32, on the same fine-tuned model
      (the shipped model saved as full weights): what a user would write;
  (b) the project's Predictor on the shipped model as a fresh install has it: ONNX Runtime int8
      (the shipped export, the default) and PyTorch fp32 (its weights);
  (c) TF-IDF + logistic regression, for scale.
For each: paragraphs/s, p50/p95 latency of single-paragraph calls, peak RSS and macro-F1; for int8
against fp32, the share of labels that agree on the test split and both challenge sets. Then
the CLI: `classify data/samples/article.txt` from process start to exit (warm file cache),
peak memory classifying 1,000 and 10,000 paragraphs streamed from a file, and `suggest -n 100`
over a pool of 10,000 distinct paragraphs. The section of bench.md that scripts/bench_dataset.py
writes (between its markers) is kept.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
CLI = str(Path(sys.executable).parent / "conflict-paragraphs")
MIN_PARAGRAPHS = 2000
LATENCY_CALLS = 200
AGREEMENT_SETS = {"test": "test.jsonl", "challenge": "challenge.jsonl", "wire": "challenge_wire.jsonl"}
SUGGEST_POOL = 10_000
KEPT_SECTION = ("<!-- bench_dataset:start -->", "<!-- bench_dataset:end -->")  # scripts/bench_dataset.py's


def test_rows() -> list[dict]:
    lines = (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def explain_worker() -> dict:
    """Seconds to explain every paragraph of the sample article (occlusion, shipped int8 model)."""
    from model import load_predictor
    from model.articles import split_paragraphs

    predictor = load_predictor()
    paragraphs = split_paragraphs((ROOT / "data" / "samples" / "article.txt").read_text(encoding="utf-8"))
    predictor.explain(paragraphs[:2])  # warm-up
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        predictor.explain(paragraphs)
        runs.append(time.perf_counter() - started)
    return {"paragraphs": len(paragraphs), "seconds_median": round(statistics.median(runs), 2)}


def worker(method: str, model_dir: str) -> dict:
    """Run one method in this process and return its figures."""
    import resource

    from training import score

    rows = test_rows()
    texts = [r["text"] for r in rows]
    repeated = texts * -(-MIN_PARAGRAPHS // len(texts))
    if method == "pipeline":
        from transformers import pipeline

        classifier = pipeline("text-classification", model=model_dir, device="cpu")

        def run(batch):
            return [o["label"] for o in classifier(batch, batch_size=32, truncation=True)]
    elif method in ("predictor-onnx", "predictor-torch"):
        from model import load_predictor

        predictor = load_predictor(model_dir or None, backend=method.split("-")[1])

        def run(batch):
            return [p.label for p in predictor.predict(batch)]

        agreement_sets = {name: [json.loads(line)["text"] for line in (ROOT / "data" / file).read_text(encoding="utf-8").splitlines()]
                          for name, file in AGREEMENT_SETS.items()}
    else:
        from training import load_splits, make_baseline

        splits = load_splits(ROOT / "data")
        estimator = make_baseline("tfidf").fit([r["text"] for r in splits.train], [r["label"] for r in splits.train])

        def run(batch):
            return list(estimator.predict(batch))
    run(texts[:16])  # warm-up
    started = time.perf_counter()
    labels = run(repeated)
    throughput = len(repeated) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:LATENCY_CALLS]:
        started = time.perf_counter()
        run([text])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    all_labels = sorted({r["label"] for r in rows})
    by_set = {name: run(set_texts) for name, set_texts in agreement_sets.items()} if method.startswith("predictor") else {}
    return {
        "labels_by_set": by_set,
        "method": method,
        "paragraphs": len(repeated),
        "paragraphs_per_second": round(throughput, 1),
        "latency_ms_p50": round(latencies[len(latencies) // 2], 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "macro_f1": round(score([r["label"] for r in rows], labels[: len(rows)], all_labels).macro_f1, 4),
    }


def run_measured(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one process, from its start to its exit."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def prepare(scratch: Path) -> None:
    """A standard Hugging Face copy of the shipped model for the pipeline (`export --format hf`).

    Runs in its own process: a child inherits its parent's peak RSS on Linux, so the measuring
    parent must never load a model itself. The Predictor runs the shipped model in place.
    """
    from model.hf_export import export_hf
    from model.loading import DEFAULT_MODEL_DIR

    export_hf(DEFAULT_MODEL_DIR, scratch / "full")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--stream-paragraphs", type=int, default=10_000)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(explain_worker() if args.worker == "explain" else worker(args.worker, args.model)))
        return
    if args.prepare:
        prepare(Path(args.prepare))
        return

    REPORTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        subprocess.run([sys.executable, __file__, "--prepare", str(scratch)], check=True, cwd=ROOT)
        results = {}
        for method, model_dir in (("pipeline", scratch / "full"), ("predictor-onnx", ""), ("predictor-torch", ""),
                                  ("tfidf", "")):
            print(f"measuring {method}", flush=True)
            out = subprocess.run([sys.executable, __file__, "--worker", method, "--model", str(model_dir)],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            results[method] = json.loads(out.stdout.strip().splitlines()[-1])

        print("measuring explanations", flush=True)
        out = subprocess.run([sys.executable, __file__, "--worker", "explain"], capture_output=True, text=True, check=True, cwd=ROOT)
        explained = json.loads(out.stdout.strip().splitlines()[-1])

        print("measuring the CLI", flush=True)
        sample = [CLI, "classify", "data/samples/article.txt", "--format", "jsonl"]
        run_measured(sample)  # warm the file cache
        runs = [run_measured(sample) for _ in range(5)]
        cli = {"command": "conflict-paragraphs classify data/samples/article.txt",
               "seconds_min": round(min(r[0] for r in runs), 3), "seconds_median": round(statistics.median(r[0] for r in runs), 3),
               "peak_rss_mb": round(max(r[1] for r in runs), 1), "exit_codes": sorted({r[2] for r in runs})}

        texts = [r["text"] for r in test_rows()]
        stream = {}
        for n in (1000, args.stream_paragraphs):
            path = scratch / f"paragraphs-{n}.txt"
            path.write_text("\n\n".join((texts * (n // len(texts) + 1))[:n]) + "\n", encoding="utf-8")
            seconds, rss, code = run_measured([CLI, "classify", str(path), "--format", "jsonl"])
            stream[n] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss, 1), "exit_code": code}
            print(f"streamed {n} paragraphs: {stream[n]}", flush=True)
        one_line = scratch / "one-line.txt"  # 10 MB without a single line break: read in bounded pieces
        one_line.write_text(" ".join(texts * (10_000_000 // len(" ".join(texts)) + 1))[:10_000_000], encoding="utf-8")
        seconds, rss, code = run_measured([CLI, "classify", str(one_line), "--format", "jsonl"])
        stream["one_line_10mb"] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss, 1), "exit_code": code}
        print(f"streamed a 10 MB line: {stream['one_line_10mb']}", flush=True)
        suggested = measure_suggest(scratch)
        print(f"suggest: {suggested}", flush=True)

    int8, fp32 = results["predictor-onnx"].pop("labels_by_set"), results["predictor-torch"].pop("labels_by_set")
    for r in results.values():
        r.pop("labels_by_set", None)
    agreement = {name: {"paragraphs": len(int8[name]), "labels_changed": sum(a != b for a, b in zip(int8[name], fp32[name]))}
                 for name in AGREEMENT_SETS}
    ratio = results["predictor-onnx"]["paragraphs_per_second"] / results["pipeline"]["paragraphs_per_second"]
    fp32_f1 = results["predictor-torch"]["macro_f1"]
    report = {"machine": f"{os.cpu_count()} CPU cores", "methods": results, "predictor_over_pipeline": round(ratio, 2),
              "int8_macro_f1_change_points": round(100 * (results["predictor-onnx"]["macro_f1"] - fp32_f1), 2),
              "int8_vs_fp32_labels": agreement, "explain": explained, "cli": cli, "suggest": suggested,
              "streaming": {str(k): v for k, v in stream.items()},
              "streaming_rss_growth": round(stream[args.stream_paragraphs]["peak_rss_mb"] / stream[1000]["peak_rss_mb"] - 1, 3)}
    (REPORTS / "bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (REPORTS / "bench.md").write_text(render(report, args.stream_paragraphs) + kept_section(REPORTS / "bench.md"),
                                      encoding="utf-8")
    print(render(report, args.stream_paragraphs))


def measure_suggest(scratch: Path) -> dict:
    """`suggest -n 100` from process start to exit over SUGGEST_POOL distinct paragraphs (the corpus and
    both challenge sets, then numbered copies: repeats would be skipped, not scored)."""
    texts = [json.loads(line)["text"] for name in ("train", "validation", "test", "challenge", "challenge_wire")
             for line in (ROOT / "data" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    pool = texts + [f"{text} (item {i})" for i, text in enumerate(texts * 2)]
    path = scratch / "pool.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in pool[:SUGGEST_POOL]), encoding="utf-8")
    seconds, rss, code = run_measured([CLI, "suggest", str(path), "-n", "100", "--output", str(scratch / "batch.jsonl")])
    return {"pool": SUGGEST_POOL, "n": 100, "seconds": round(seconds, 1), "peak_rss_mb": round(rss, 1), "exit_code": code}


def kept_section(path: Path) -> str:
    """The part of the old bench.md that another script writes, if there is one."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = KEPT_SECTION
    if start in old and end in old:
        return "\n" + old[old.index(start): old.index(end) + len(end)] + "\n"
    return ""


def render(report: dict, big: int) -> str:
    lines = ["# Speed on this machine's CPU", "", f"{report['machine']}; test split repeated to 2,000+ paragraphs; "
             "made by `python scripts/bench.py`.", "",
             "| method | paragraphs/s | p50 ms | p95 ms | peak RSS MB | macro-F1 |", "|---|---|---|---|---|---|"]
    names = {"pipeline": "(a) transformers pipeline, fp32, batch 32", "predictor-onnx": "(b) Predictor, ONNX Runtime int8",
             "predictor-torch": "Predictor, PyTorch fp32", "tfidf": "(c) TF-IDF + logistic regression"}
    for key, r in report["methods"].items():
        lines.append(f"| {names[key]} | {r['paragraphs_per_second']:.0f} | {r['latency_ms_p50']:.1f} | "
                     f"{r['latency_ms_p95']:.1f} | {r['peak_rss_mb']:.0f} | {r['macro_f1']:.4f} |")
    cli, stream = report["cli"], report["streaming"]
    lines += ["", f"- Predictor (b) over pipeline (a): **{report['predictor_over_pipeline']:.2f}x**; int8 changes "
              f"macro-F1 by {report['int8_macro_f1_change_points']:+.2f} points against the fp32 Predictor on the test split.",
              "- int8 against fp32 labels: " + "; ".join(
                  f"{name} {a['labels_changed']} of {a['paragraphs']} changed" for name, a in report["int8_vs_fp32_labels"].items()) + ".",
              f"- Explaining the sample article ({report['explain']['paragraphs']} paragraphs, `--explain`): "
              f"{report['explain']['seconds_median']:.2f} s median of 3.",
              f"- `{cli['command']}`: {cli['seconds_median']:.2f} s median (min {cli['seconds_min']:.2f} s) from "
              f"process start to exit, peak RSS {cli['peak_rss_mb']:.0f} MB.",
              f"- Streaming: 1,000 paragraphs peak RSS {stream['1000']['peak_rss_mb']:.0f} MB, {big:,} paragraphs "
              f"{stream[str(big)]['peak_rss_mb']:.0f} MB ({100 * report['streaming_rss_growth']:+.1f}%), "
              f"{stream[str(big)]['seconds']:.0f} s; a 10 MB file with no line break, read in 256 KiB pieces: peak RSS "
              f"{stream['one_line_10mb']['peak_rss_mb']:.0f} MB, {stream['one_line_10mb']['seconds']:.0f} s.",
              f"- `suggest -n 100` over a pool of {report['suggest']['pool']:,} distinct paragraphs: "
              f"{report['suggest']['seconds']:.0f} s from process start to exit, peak RSS {report['suggest']['peak_rss_mb']:.0f} MB.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

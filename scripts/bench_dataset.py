"""Benchmark classify-dataset: the local engine and Ray with 1 and 2 workers, on this machine.

    python scripts/bench_dataset.py

Generates an archive of 20,000 articles of 3 paragraphs each (the corpus's paragraphs, in order
and repeated), as 20 JSONL files of 1,000 articles, and a 2,000-article one like it. Each job runs
in its own process and writes Parquet: the local engine on both archives, Ray (a local instance
started for the job) with 1 and with 2 workers on the large one. For each: paragraphs/s over the
whole job (from the call to the written output, model loads and Ray's start included) and in
its steady state (from the first labelled batch on), and peak memory: the job process's peak RSS
and, since Ray spreads the work over several processes, the peak of the summed PSS (shared pages
split between the processes that map them) of the job's whole process tree, sampled every second.
Writes reports/bench_dataset.json and its section of reports/bench.md, between the markers
below (replaced if present, else appended; scripts/bench.py keeps it).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
MARKERS = ("<!-- bench_dataset:start -->", "<!-- bench_dataset:end -->")
PARAGRAPHS_PER_ARTICLE = 3
ARTICLES_PER_FILE = 1000
SMALL, LARGE = 2_000, 20_000
CORPUS = ("train.jsonl", "validation.jsonl", "test.jsonl")


def make_archive(folder: Path, articles: int) -> Path:
    """`articles` articles of PARAGRAPHS_PER_ARTICLE corpus paragraphs each, ARTICLES_PER_FILE to a JSONL file."""
    paragraphs = [json.loads(line)["text"] for name in CORPUS for line in (ROOT / "data" / name).open(encoding="utf-8")]
    folder.mkdir(parents=True)
    for start in range(0, articles, ARTICLES_PER_FILE):
        with (folder / f"part-{start // ARTICLES_PER_FILE:03d}.jsonl").open("w", encoding="utf-8") as out:
            for n in range(start, min(start + ARTICLES_PER_FILE, articles)):
                first = n * PARAGRAPHS_PER_ARTICLE
                text = "\n\n".join(paragraphs[(first + i) % len(paragraphs)] for i in range(PARAGRAPHS_PER_ARTICLE))
                out.write(json.dumps({"id": f"a{n:06d}", "text": text}, ensure_ascii=False) + "\n")
    return folder


def job(source: str, output: str, engine: str, workers: int | None) -> None:
    """One job, in this process (the child that `measure` starts); prints its figures as JSON."""
    from model import classify_dataset

    seen: list[tuple[float, int]] = []
    result = classify_dataset(source, output, engine=engine, workers=workers,
                              progress=lambda done: seen.append((time.perf_counter(), done)))
    end = time.perf_counter()
    first = next(((t, n) for t, n in seen if n), (end, 0))
    steady = (result.paragraphs - first[1]) / (end - first[0]) if end > first[0] else None
    print(json.dumps({"articles": result.articles, "paragraphs": result.paragraphs, "errors": result.errors,
                      "seconds": round(result.seconds, 1), "paragraphs_per_s": round(result.paragraphs / result.seconds, 1),
                      "steady_paragraphs_per_s": round(steady, 1) if steady else None}))


def measure(source: Path, output: Path, engine: str, workers: int | None) -> dict:
    """Run one job in a child process; add its peak RSS and the peak summed PSS of its process tree."""
    import psutil

    command = [sys.executable, __file__, "--job", str(source), str(output), engine, str(workers or 0)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak_pss, done = [0], threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.wait(1.0):
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for p in tree:
                try:
                    total += p.memory_full_info().pss
                except psutil.Error:  # gone meanwhile
                    continue
            peak_pss[0] = max(peak_pss[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{engine} job on {source} failed (status {status})")
    figures = json.loads(stdout.strip().splitlines()[-1])
    return {"engine": engine, "workers": workers, **figures, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_tree_pss_mb": round(peak_pss[0] / 2**20, 1)}


def write_reports(report: dict) -> None:
    (REPORTS / "bench_dataset.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    runs = report["runs"]
    local_small, local, ray1, ray2 = runs
    lines = [MARKERS[0], "## classify-dataset: the local engine and Ray", "",
             f"{report['cpus']} CPU cores; generated archives of {SMALL:,} and {LARGE:,} articles of "
             f"{PARAGRAPHS_PER_ARTICLE} paragraphs (the corpus's paragraphs, repeated), JSONL files of "
             f"{ARTICLES_PER_FILE:,} articles, written as Parquet; Ray {report['ray']}, a local instance started for each "
             "job; made by `python scripts/bench_dataset.py`.", "",
             "| job | articles | paragraphs/s, whole job | paragraphs/s, steady | seconds | peak RSS MB (job process) | peak PSS MB (all its processes) |",
             "|---|---|---|---|---|---|---|"]
    for run in runs:
        name = "local engine" if run["engine"] == "local" else f"Ray, {run['workers']} worker{'s' * (run['workers'] > 1)}"
        lines.append(f"| {name} | {run['articles']:,} | {run['paragraphs_per_s']:.0f} | {run['steady_paragraphs_per_s']:.0f} | "
                     f"{run['seconds']:.0f} | {run['peak_rss_mb']:.0f} | {run['peak_tree_pss_mb']:.0f} |")
    lines += ["",
              f"- Ray with 1 worker: {100 * report['ray1_vs_local']:.0f}% of the local engine's paragraphs/s over the whole job "
              f"({100 * report['ray1_vs_local_steady']:.0f}% in the steady state); target: at least 80%.",
              f"- Ray with 2 workers: {100 * ray2['paragraphs_per_s'] / local['paragraphs_per_s']:.0f}% of the local engine's "
              "(two single-threaded actors on the two cores the local engine's two threads share).",
              f"- Local engine memory, {SMALL:,} to {LARGE:,} articles: peak RSS {local_small['peak_rss_mb']:.0f} to "
              f"{local['peak_rss_mb']:.0f} MB ({100 * report['local_memory_growth']:+.1f}%); target: within 10%.",
              MARKERS[1]]
    bench = REPORTS / "bench.md"
    text = bench.read_text(encoding="utf-8") if bench.exists() else ""
    section = "\n".join(lines) + "\n"
    if MARKERS[0] in text and MARKERS[1] in text:
        before, rest = text.split(MARKERS[0], 1)
        text = before + section + rest.split(MARKERS[1], 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    bench.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", nargs=4, metavar=("SOURCE", "OUTPUT", "ENGINE", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        source, output, engine, workers = args.job
        job(source, output, engine, int(workers) or None)
        return
    import ray

    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as scratch:
        scratch = Path(scratch)
        small, large = make_archive(scratch / "small", SMALL), make_archive(scratch / "large", LARGE)
        runs = []
        for source, engine, workers in ((small, "local", None), (large, "local", None), (large, "ray", 1), (large, "ray", 2)):
            runs.append(measure(source, scratch / f"out-{len(runs)}", engine, workers))
            print(json.dumps(runs[-1]), file=sys.stderr)
    local_small, local, ray1, _ = runs
    report = {"cpus": os.cpu_count(), "machine": platform.platform(), "ray": ray.__version__, "runs": runs,
              "ray1_vs_local": round(ray1["paragraphs_per_s"] / local["paragraphs_per_s"], 3),
              "ray1_vs_local_steady": round(ray1["steady_paragraphs_per_s"] / local["steady_paragraphs_per_s"], 3),
              "local_memory_growth": round(local["peak_rss_mb"] / local_small["peak_rss_mb"] - 1, 3)}
    write_reports(report)
    print(f"wrote {REPORTS / 'bench_dataset.json'} and its section of {REPORTS / 'bench.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()

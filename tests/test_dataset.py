"""classify-dataset and model.dataset: the local engine, the Ray engine on a local 2-CPU Ray, and the README's examples.

Ray starts once for the module (`ray_cluster`) and every Ray test reuses it. The articles are
the test split's, cut to four paragraphs each so that a job takes seconds.
"""

import builtins
import collections
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import model.dataset as dataset
from model import classify_article, classify_dataset, load_predictor
from model.classify import summarise
from tests.conftest import ROOT

runner = CliRunner()
ARTICLES = 32
BATCH = 8  # articles per batch, and per file in the sets that both engines must label alike


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    """32 articles of the test split, four paragraphs each, with their ids."""
    paragraphs = collections.defaultdict(list)
    for line in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        paragraphs[row["article_id"]].append(row["text"])
    return [{"id": key, "text": "\n\n".join(texts[:4])} for key, texts in paragraphs.items()][:ARTICLES]


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv_parts(folder: Path, rows: list[dict]) -> Path:
    """BATCH rows per file: Ray reads each file as a block (see `ray_cluster`), so both engines hand
    the model the same batches of articles and their int8 scores must agree too."""
    folder.mkdir()
    for start in range(0, len(rows), BATCH):
        pyarrow.csv.write_csv(pa.Table.from_pylist(rows[start:start + BATCH]), folder / f"part-{start // BATCH}.csv")
    return folder


def read_rows(output: Path) -> list[dict]:
    if any(output.glob("*.json*")):  # part-00000.jsonl here, <uuid>_000000.json from Ray
        return [json.loads(line) for f in sorted(output.glob("*.json*")) for line in f.read_text(encoding="utf-8").splitlines()]
    return pq.read_table(output).to_pylist()


def in_order(rows: list[dict]) -> list[dict]:
    """Rows sorted by article and paragraph: Ray writes blocks in the order they finish."""
    return sorted(rows, key=lambda r: (str(r["article_id"]), -1 if r.get("paragraph") is None else r["paragraph"]))


def invoke(*args):
    from model.cli import app

    return runner.invoke(app, [str(a) for a in args])


# The local engine


def test_rows_are_classify_articles_paragraphs_and_labels(tmp_path, articles, predictor):
    result = classify_dataset(write_jsonl(tmp_path / "a.jsonl", articles), tmp_path / "out")
    rows = read_rows(tmp_path / "out")
    expected = [(a["id"], p.index, p.text, p.prediction.label) for a in articles for p in classify_article(a["text"], predictor)]
    assert [(r["article_id"], r["paragraph"], r["text"], r["label"]) for r in rows] == expected
    assert list(rows[0]) == ["article_id", "paragraph", "text", "label", "score"] + [f"score_{label}" for label in predictor.labels] + ["error"]
    assert all(r["score"] == r[f"score_{r['label']}"] and abs(sum(r[f"score_{l}"] for l in predictor.labels) - 1) < 1e-6 for r in rows)
    assert (result.articles, result.paragraphs, result.errors) == (32, len(expected), 0)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["part-00000.parquet"]


def test_csv_parquet_and_jsonl_inputs_give_the_same_rows(tmp_path, articles):
    table = pa.Table.from_pylist(articles)
    pyarrow.csv.write_csv(table, tmp_path / "a.csv")
    pq.write_table(table, tmp_path / "a.parquet")
    outputs = []
    for name in ("a.jsonl", "a.csv", "a.parquet"):
        if name == "a.jsonl":
            write_jsonl(tmp_path / name, articles)
        classify_dataset(tmp_path / name, tmp_path / f"out-{name}", fmt="jsonl", articles_per_batch=BATCH)
        outputs.append(read_rows(tmp_path / f"out-{name}"))
    assert outputs[0] == outputs[1] == outputs[2]


def test_a_folder_of_articles_is_read_as_classify_reads_files(tmp_path, articles, predictor):
    pages = tmp_path / "pages"
    (pages / "2024").mkdir(parents=True)
    (pages / "one.txt").write_text(articles[0]["text"], encoding="utf-8")
    html = "<html><body><nav>Home | World</nav><article>" + "".join(
        f"<p>{p}</p>" for p in articles[1]["text"].split("\n\n")) + "</article><footer>Cookies</footer></body></html>"
    (pages / "2024" / "two.html").write_text(html, encoding="utf-8")
    (pages / ".hidden.txt").write_text("skipped", encoding="utf-8")
    classify_dataset(pages, tmp_path / "out")
    rows = read_rows(tmp_path / "out")
    from model.classify import classify_sources

    expected = list(classify_sources([str(pages / "2024" / "two.html"), str(pages / "one.txt")], predictor))
    assert [(r["article_id"], r["text"], r["label"]) for r in rows] == [
        (Path(e["source"]).relative_to(pages).as_posix(), e["text"], e["label"]) for e in expected]


def test_without_an_id_column_the_ids_are_row_numbers(tmp_path, articles):
    write_jsonl(tmp_path / "a.jsonl", [{"text": a["text"]} for a in articles[:3]])
    classify_dataset(tmp_path / "a.jsonl", tmp_path / "out")
    assert sorted({r["article_id"] for r in read_rows(tmp_path / "out")}) == ["0", "1", "2"]


def malformed(articles) -> list[dict]:
    return [articles[0], {"id": "number", "text": 5}, {"id": "missing"}, {"id": "empty", "text": "  \n\n "},
            {"id": "null", "text": None}, {"id": "list", "text": ["a"]}, articles[1]]


def test_malformed_rows_are_written_with_their_error_and_counted(tmp_path, articles):
    source = write_jsonl(tmp_path / "a.jsonl", malformed(articles))
    with source.open("a", encoding="utf-8") as out:
        out.write("not json\n[1, 2]\n")
    result = classify_dataset(source, tmp_path / "out")
    errors = {(r["article_id"], r["error"]) for r in read_rows(tmp_path / "out") if r["error"]}
    assert errors == {("number", "text is not a string"), ("missing", "missing text"), ("empty", "empty text"),
                      ("null", "missing text"), ("list", "text is not a string"),
                      (None, "line 8: not valid JSON"), (None, "line 9: not a JSON object")}
    assert all(r["label"] is None and r["score"] is None for r in read_rows(tmp_path / "out") if r["error"])
    assert (result.articles, result.errors) == (9, 7)


def test_a_huge_line_or_file_is_an_error_row_not_a_memory_blow_up(tmp_path, articles, monkeypatch):
    monkeypatch.setattr(dataset, "MAX_ARTICLE_CHARS", 1000)
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "huge", "text": "x" * 5000}, {"id": "long", "text": "word " * 300}, articles[1]])
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "huge.txt").write_text("word " * 300, encoding="utf-8")
    (tmp_path / "pages" / "small.txt").write_text("A short article.", encoding="utf-8")
    classify_dataset(source, tmp_path / "out")
    classify_dataset(tmp_path / "pages", tmp_path / "out-pages")
    rows = read_rows(tmp_path / "out")
    assert [(r["article_id"], r["error"]) for r in rows if r["error"]] == [
        (None, "line 1: longer than 2,000 bytes"), ("long", "text longer than 1,000 characters")]
    assert [r["article_id"] for r in rows if not r["error"]] == [articles[1]["id"]] * 4
    assert [(r["article_id"], r["error"]) for r in read_rows(tmp_path / "out-pages")] == [
        ("huge.txt", "file larger than 10,485,760 bytes"), ("small.txt", None)]


def test_summary_rows_are_classify_summaries(tmp_path, articles, predictor):
    classify_dataset(write_jsonl(tmp_path / "a.jsonl", articles[:5]), tmp_path / "out", summary=True, fmt="jsonl")
    rows = read_rows(tmp_path / "out")
    for article, row in zip(articles, rows):
        labelled = [{"source": article["id"], "label": p.prediction.label} for p in classify_article(article["text"], predictor)]
        expected = summarise(labelled, predictor.labels)
        assert row == {"article_id": article["id"], "paragraphs": expected["paragraphs"], "dominant": expected["dominant"],
                       **{f"count_{label}": expected["labels"][label] for label in predictor.labels}, "error": None}


def test_output_is_refused_when_it_exists_and_replaced_with_overwrite(tmp_path, articles):
    source = write_jsonl(tmp_path / "a.jsonl", articles[:2])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old", encoding="utf-8")
    result = invoke("classify-dataset", source, "--output", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr == f"error: {tmp_path / 'out'}: already exists; give --overwrite to replace it\n"
    assert invoke("classify-dataset", source, "--output", tmp_path / "out", "--overwrite").exit_code == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["part-00000.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "out"]  # no staging left behind


def test_a_failing_job_leaves_neither_output_nor_staging(tmp_path, articles, monkeypatch):
    calls = []

    def fail_on_second_batch(self, batch, original=dataset.ParagraphClassifier.__call__):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(dataset.ParagraphClassifier, "__call__", fail_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        classify_dataset(write_jsonl(tmp_path / "a.jsonl", articles), tmp_path / "out", articles_per_batch=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl"], "missing.jsonl: file not found"),
    (["{tmp}/mixed"], "mixes csv and jsonl files; give one kind at a time"),
    (["{tmp}/a.jsonl", "--text-column", "body"], "no column 'body' (columns: id, text); name it with --text-column"),
    (["{tmp}/a.jsonl", "--workers", "2"], "--workers and --address are for --engine ray"),
    (["{tmp}/a.jsonl", "--articles-per-batch", "0"], "batch sizes must be at least 1, got 32 and 0"),
])
def test_bad_usage_is_one_line(tmp_path, articles, args, message):
    write_jsonl(tmp_path / "a.jsonl", articles[:1])
    (tmp_path / "mixed").mkdir()
    write_jsonl(tmp_path / "mixed" / "a.jsonl", articles[:1])
    (tmp_path / "mixed" / "b.csv").write_text("text\nx\n", encoding="utf-8")
    result = invoke("classify-dataset", *[a.format(tmp=tmp_path) for a in args], "--output", tmp_path / "out")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr


def test_the_output_may_not_hold_the_input(tmp_path, articles):
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", articles[:1])
    for output in (tmp_path, tmp_path / "in", tmp_path / "in" / "out"):
        result = invoke("classify-dataset", tmp_path / "in", "--output", output, "--overwrite")
        assert result.exit_code == 2 and "is, holds or lies inside the input" in result.stderr


def test_cli_counts_malformed_rows_and_exits_1(tmp_path, articles):
    result = invoke("classify-dataset", write_jsonl(tmp_path / "a.jsonl", malformed(articles)), "-o", tmp_path / "out", "-f", "jsonl")
    assert result.exit_code == 1
    assert re.search(r"wrote .*out: 7 articles, 8 paragraphs in [\d.]+ s \([\d,]+ paragraphs/s\)", result.stderr)
    assert result.stderr.rstrip().endswith("error: 5 of 7 articles could not be classified (label null; the reason is in their error column)")


def test_engine_ray_without_ray_says_how_to_install_it(tmp_path, articles, monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    result = invoke("classify-dataset", write_jsonl(tmp_path / "a.jsonl", articles[:1]), "-o", tmp_path / "out", "--engine", "ray")
    assert result.exit_code == 2
    assert result.stderr == 'error: --engine ray needs Ray, which is not installed: pip install -e ".[ray]"\n'


def test_importing_model_imports_neither_ray_nor_pyarrow():
    code = "import sys, model, model.cli; print(sorted(m for m in ('ray', 'torch', 'pyarrow') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout.strip() == "[]"


def test_classify_dataset_has_help():
    result = invoke("classify-dataset", "--help")
    assert result.exit_code == 0 and "--engine" in result.output


# The Ray engine, on one local Ray instance for the module


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray with 2 CPUs. Ray reads a dataset this small as one block, which one actor would
    label alone; told to make blocks of any size, at least one per file, it reads a file per block,
    as it would for a real archive's files."""
    import logging

    import ray  # the dev extra installs it: these tests run in CI, never skipped

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    context = ray.data.DataContext.get_current()
    saved = context.target_min_block_size, context.read_op_min_num_blocks
    context.target_min_block_size, context.read_op_min_num_blocks = 1, ARTICLES // BATCH
    yield ray
    context.target_min_block_size, context.read_op_min_num_blocks = saved
    ray.shutdown()


def test_ray_with_two_workers_gives_the_local_rows_row_for_row(tmp_path, articles, ray_cluster):
    source = write_csv_parts(tmp_path / "articles", articles)
    local = classify_dataset(source, tmp_path / "local", articles_per_batch=BATCH)
    distributed = classify_dataset(source, tmp_path / "ray", engine="ray", workers=2, articles_per_batch=BATCH)
    local_rows, ray_rows = read_rows(tmp_path / "local"), in_order(read_rows(tmp_path / "ray"))
    assert (distributed.articles, distributed.paragraphs, distributed.errors) == (local.articles, local.paragraphs, 0)
    assert len(ray_rows) == len({(r["article_id"], r["paragraph"]) for r in ray_rows})  # nothing duplicated
    assert [(r["article_id"], r["paragraph"], r["text"], r["label"]) for r in ray_rows] == \
        [(r["article_id"], r["paragraph"], r["text"], r["label"]) for r in in_order(local_rows)]
    for mine, theirs in zip(in_order(local_rows), ray_rows):
        assert all(abs(mine[k] - theirs[k]) <= 1e-6 for k in mine if k.startswith("score"))
    assert {r["article_id"] for r in ray_rows} == {a["id"] for a in articles}


def test_ray_reads_malformed_rows_as_the_local_engine_does(tmp_path, articles, ray_cluster):
    """JSONL of mixed types goes through pandas, so every malformed row reaches the classifier."""
    source = write_jsonl(tmp_path / "a.jsonl", malformed(articles))
    classify_dataset(source, tmp_path / "local", fmt="jsonl")
    result = classify_dataset(source, tmp_path / "ray", engine="ray", workers=2, fmt="jsonl")
    local_rows, ray_rows = read_rows(tmp_path / "local"), in_order(read_rows(tmp_path / "ray"))
    assert (result.articles, result.errors) == (7, 5)
    key = ("article_id", "paragraph", "text", "label", "error")
    assert [tuple(r[k] for k in key) for r in ray_rows] == [tuple(r[k] for k in key) for r in in_order(local_rows)]


def test_ray_needs_ids(tmp_path, articles):
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": a["text"]} for a in articles[:2]])
    result = invoke("classify-dataset", source, "-o", tmp_path / "out", "--engine", "ray")
    assert result.exit_code == 2 and "no column 'id'; --engine ray needs article ids" in result.stderr


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path, articles, ray_cluster):
    """One actor's process is killed with SIGKILL after the first batch is done; Ray restarts it and
    reruns its batch, and every paragraph comes out exactly once."""
    import psutil

    many = [a | {"id": f"{a['id']}-{copy}"} for copy in range(3) for a in articles]  # enough batches to be mid-job
    source = write_csv_parts(tmp_path / "articles", many)
    classify_dataset(source, tmp_path / "local", articles_per_batch=4)
    killed = []

    def classifier_processes() -> list:
        found = []
        for process in psutil.Process().children(recursive=True):
            try:
                if "_CountingClassifier" in " ".join(process.cmdline()):
                    found.append(process)
            except psutil.Error:  # gone meanwhile
                continue
        return found

    def kill_one_worker_once(done: int) -> None:
        if done and not killed and (workers := classifier_processes()):
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    result = classify_dataset(source, tmp_path / "ray", engine="ray", workers=2, articles_per_batch=4, progress=kill_one_worker_once)
    ray_rows, local_rows = in_order(read_rows(tmp_path / "ray")), in_order(read_rows(tmp_path / "local"))
    assert killed, "the job ended before a worker could be killed"
    assert [(r["article_id"], r["paragraph"], r["label"]) for r in ray_rows] == [(r["article_id"], r["paragraph"], r["label"]) for r in local_rows]
    assert len({(r["article_id"], r["paragraph"]) for r in ray_rows}) == len(ray_rows) == result.paragraphs


# The README's examples


def readme_examples() -> tuple[list[str], list[str]]:
    """The shell commands and the Python blocks of the README's classify-dataset section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Classify a whole archive", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("  #")[0].strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)
                for line in block.splitlines() if line.strip()]
    return commands, re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_examples_run(tmp_path, articles, ray_cluster, monkeypatch):
    """Each example runs as written in a folder holding the files it names; the Ray command in a
    separate process that finds the module's Ray through RAY_ADDRESS, as on a cluster."""
    commands, python = readme_examples()
    assert len(commands) == 5 and len(python) == 1
    write_jsonl(tmp_path / "archive.jsonl", articles[:4])
    (tmp_path / "archive").mkdir()
    write_jsonl(tmp_path / "archive" / "2024-01.jsonl", articles[4:8])
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "story.txt").write_text(articles[8]["text"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cli = str(Path(sys.executable).parent / "conflict-paragraphs")
    environment = os.environ | {"RAY_ADDRESS": ray_cluster.get_runtime_context().gcs_address}
    for command in commands:
        words = shlex.split(command)
        if words[:2] == ["pip", "install"]:  # the dev extra has installed it
            continue
        if "--engine" in words:
            done = subprocess.run([cli, *words[1:]], capture_output=True, text=True, env=environment, timeout=300)
            assert done.returncode == 0, done.stderr
        else:
            result = invoke(*words[1:])
            assert result.exit_code == 0, result.stderr
    # The Python block starts a Ray of its own, here: the workers of a running Ray live elsewhere, where "archive.jsonl" is not
    done = subprocess.run([sys.executable, "-c", python[0]], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = {folder: len(read_rows(tmp_path / folder)) for folder in ("labelled", "summaries", "labelled-ray", "labelled-py", "labelled-by-ray")}
    assert written == {"labelled": 16, "summaries": 1, "labelled-ray": 16, "labelled-py": 16, "labelled-by-ray": 16}


def test_threads_follow_omp_num_threads(monkeypatch):
    from model.predictor import inference_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert inference_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert inference_threads() == (os.cpu_count() or 1)


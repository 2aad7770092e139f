"""The README's Python examples say what the shipped model really answers."""

from model import predict
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_predict_examples_give_the_labels_it_shows():
    single = "Government forces shelled the eastern districts overnight."
    pair = ["The toll rose to 43, medics said.", "Sign up to our newsletter."]
    assert f'predict("{single}").label   # \'military_action\'' in README
    assert f'predict(["{pair[0]}", "{pair[1]}"])   # [casualty_report, other]' in README
    assert predict(single).label == "military_action"
    assert [p.label for p in predict(pair)] == ["casualty_report", "other"]


def test_the_readme_adaptation_loop_runs_as_written(tmp_path, monkeypatch):
    """The five commands, on a folder of new articles; training kept to two steps, answers accepted with Enter."""
    import json
    import shlex

    from typer.testing import CliRunner

    from model.cli import app

    block = README.split("## Adapt it to your own reporting", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.strip().splitlines()]
    assert [c[1] for c in commands] == ["suggest", "annotate", "train", "export", "classify"]
    rows = [json.loads(line) for line in (ROOT / "data" / "challenge.jsonl").read_text(encoding="utf-8").splitlines()]
    articles = tmp_path / "my-articles"
    articles.mkdir()
    for start in range(0, 240, 12):
        (articles / f"{start:03d}.txt").write_text("\n\n".join(r["text"] for r in rows[start:start + 12]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        arguments = command[1:] + (["--max-steps", "2"] if command[1] == "train" else [])
        result = runner.invoke(app, arguments, input="enter " * 100 if command[1] == "annotate" else None)
        assert result.exit_code == 0, f"{shlex.join(command)}: {result.output[-500:]}"
    labelled = [json.loads(line) for line in (tmp_path / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(labelled) == 100 and (tmp_path / "models" / "mine" / "model.int8.onnx").is_file()
    assert '"dominant"' in result.output and result.output.count('"source"') == 20

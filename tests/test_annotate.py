"""`annotate`: one key per answer, every answer on disk at once, resumable, and driven for real in tmux."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.annotate import annotate, key_map
from model.cli import app

runner = CliRunner()
LABELS = ["military_action", "funding_policy", "casualty_report", "attribution", "other"]
TEXTS = [
    "Artillery pounded the northern suburbs through the night, the army said.",
    "Parliament voted to release a further 40 million euros for the border brigades.",
    "Six people were killed and 14 wounded when the minibus hit a mine, the Red Crescent said.",
    "The militia denied any role in the attack and blamed a rival faction.",
    "Sign up for our morning briefing.",
]


@pytest.fixture
def batch(tmp_path) -> Path:
    path = tmp_path / "batch.jsonl"
    guesses = ["military_action", "funding_policy", "other", "attribution", "other"]
    path.write_text("".join(json.dumps({"text": t, "guess": g, "score": 0.6}) + "\n" for t, g in zip(TEXTS, guesses)),
                    encoding="utf-8")
    return path


def answers(path: Path) -> list[tuple[str, str]]:
    return [(r["text"], r["label"]) for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())]


def test_keys_pick_accept_skip_undo_and_quit(batch, tmp_path):
    out = tmp_path / "labelled.jsonl"
    # Enter takes the guess; c picks by first letter; 3 by number; u undoes it; s skips; q quits
    session = annotate(batch, out, LABELS, keys="enter c 3 u s q".split())
    assert answers(out) == [(TEXTS[0], "military_action"), (TEXTS[1], "casualty_report")]
    assert session.labelled == 2 and session.skipped == 1
    assert [json.loads(line)["text"] for line in (tmp_path / "labelled.jsonl.skipped").read_text().splitlines()] == [TEXTS[2]]


def test_a_second_run_resumes_where_the_first_stopped(batch, tmp_path):
    out = tmp_path / "labelled.jsonl"
    annotate(batch, out, LABELS, keys=["1", "s", "q"])
    annotate(batch, out, LABELS, keys=["4", "enter", "enter"])  # the 2nd was skipped: the 3rd comes next
    assert answers(out) == [(TEXTS[0], "military_action"), (TEXTS[2], "attribution"), (TEXTS[3], "attribution"),
                            (TEXTS[4], "other")]


def test_the_answer_is_on_disk_before_the_next_paragraph_shows(batch, tmp_path):
    out = tmp_path / "labelled.jsonl"

    def keys():
        yield "2"
        assert answers(out) == [(TEXTS[0], "funding_policy")], "written and flushed at once"
        yield "q"

    annotate(batch, out, LABELS, keys=keys())


def test_a_label_set_of_ones_own_gets_numbers_and_unambiguous_letters():
    keys = key_map(["shelling", "sanctions", "quote", "aid"])
    assert keys["1"] == "shelling" and keys["4"] == "aid" and keys["a"] == "aid"
    assert "s" not in keys and "q" not in keys, "s and q are commands, and two labels start with s"


def test_cli_scripted_mode_and_labels_option(batch, tmp_path):
    out = tmp_path / "labelled.jsonl"
    result = runner.invoke(app, ["annotate", str(batch), "-o", str(out), "--labels", "event,other"], input="1 2 x ? q\n")
    assert result.exit_code == 0, result.output
    assert answers(out) == [(TEXTS[0], "event"), (TEXTS[1], "other")]
    assert "unknown key 'x'" in result.output and "labelled 2, skipped 0, 3 left" in result.output
    missing = runner.invoke(app, ["annotate", str(tmp_path / "nope.jsonl"), "-o", str(out)])
    assert missing.exit_code == 2 and "file not found" in missing.output


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives the real terminal")
def test_driven_in_a_real_terminal(batch, tmp_path):
    out = tmp_path / "labelled.jsonl"
    session = f"annotate-{tmp_path.name}"
    command = f"{sys.executable} -m model.cli annotate {batch} -o {out}; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True)
    try:
        def screen_shows(*texts: str) -> str:
            """Wait until every text is on screen at once: a slow machine draws a page in pieces."""
            for _ in range(300):
                screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
                if all(text in screen for text in texts):
                    return screen
                time.sleep(0.1)
            raise AssertionError(f"{texts!r} never all shown; screen:\n{screen}")

        # the paragraph, then the model's labels in its order, with its guess marked
        screen_shows("paragraph 1 of 5", "Artillery pounded", "> [4/m] military_action")
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)  # accept the guess
        screen_shows("paragraph 2 of 5")
        subprocess.run(["tmux", "send-keys", "-t", session, "?"], check=True)
        screen_shows("casualty_report: ", "the human cost")
        subprocess.run(["tmux", "send-keys", "-t", session, "c"], check=True)  # a key, no Enter needed
        screen_shows("paragraph 3 of 5")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        screen_shows("labelled 2, skipped 0, 3 left")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert answers(out) == [(TEXTS[0], "military_action"), (TEXTS[1], "casualty_report")]

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.card import read_card
from model.errors import InputError, RunError
from tests.conftest import ROOT
from training import TrainConfig, train
from training.finetune import class_weights

BIN = Path(sys.executable).parent
FAST = dict(epochs=1, max_steps=2, batch_size=8, validation_fraction=0.25)


def test_saved_model_is_a_standard_hugging_face_directory(tiny_model):
    config = json.loads((tiny_model / "config.json").read_text())
    labels = ["attribution", "casualty_report", "funding_policy", "military_action", "other"]
    assert config["id2label"] == {str(i): label for i, label in enumerate(labels)}
    assert config["label2id"] == {label: i for i, label in enumerate(labels)}
    assert (tiny_model / "model.safetensors").is_file() and (tiny_model / "tokenizer.json").is_file()
    assert not list(tiny_model.glob("*.bin")), "no pickle files in a saved model"
    card = read_card(tiny_model)
    assert card.labels == labels and card.seed == 42 and len(card.data_sha256) == 64
    assert card.data_size == {"train": 30, "validation": 10}
    assert 0.0 <= card.metrics["validation"]["macro_f1"] <= 1.0
    assert card.temperature > 0


def test_transformers_pipeline_loads_the_saved_model(tiny_model):
    from transformers import pipeline

    classifier = pipeline("text-classification", model=str(tiny_model))
    assert classifier("The army shelled the town.")[0]["label"] in read_card(tiny_model).labels


def test_train_save_reload_predict_offline_with_no_hub_cache(tmp_path, tiny_file):
    code = f"""
from training import TrainConfig, train
from model import load_predictor
train(TrainConfig(epochs=1, max_steps=2, batch_size=8, validation_fraction=0.25), {str(tiny_file)!r}, {str(tmp_path / 'm')!r}, progress=False)
print(load_predictor({str(tmp_path / 'm')!r}).predict('Rebels shelled the port.').label)
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-hf-home"), "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] in read_card(tmp_path / "m").labels
    assert not (tmp_path / "empty-hf-home" / "hub").exists()


def test_existing_output_needs_overwrite(tmp_path, tiny_file):
    output = tmp_path / "model"
    output.mkdir()
    (output / "model_card.json").write_text("previous model")
    with pytest.raises(InputError, match="already exists; pass --overwrite"):
        train(TrainConfig(**FAST), tiny_file, output)
    assert (output / "model_card.json").read_text() == "previous model"


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_a_writer_failing_half_way_leaves_the_previous_model_intact(tmp_path, tiny_file, monkeypatch):
    import training.finetune as finetune

    output = tmp_path / "model"
    output.mkdir()
    (output / "model_card.json").write_text("previous model")

    def full_disk(model, tokenizer, card, config, directory):
        directory.mkdir(parents=True)
        (directory / "model.safetensors").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(finetune, "_save", full_disk)
    with pytest.raises(RunError, match="No space left on device.*left unchanged"):
        train(TrainConfig(**FAST), tiny_file, output, overwrite=True, progress=False)
    assert [p.name for p in output.iterdir()] == ["model_card.json"]
    assert _leftovers(tmp_path) == []


def test_an_interrupted_run_leaves_the_previous_model_intact(tmp_path, tiny_file, monkeypatch):
    import transformers

    output = tmp_path / "model"
    output.mkdir()
    (output / "model_card.json").write_text("previous model")

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(transformers.Trainer, "train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**FAST), tiny_file, output, overwrite=True, progress=False)
    assert (output / "model_card.json").read_text() == "previous model"
    assert _leftovers(tmp_path) == []


def test_class_weights_follow_the_imbalance():
    assert class_weights([0, 0, 1, 1], 2, "auto") is None
    weights = class_weights([0] * 9 + [1] * 3, 2, "auto")
    assert weights == pytest.approx([12 / 18, 12 / 6])
    assert class_weights([0] * 9 + [1] * 3, 2, "off") is None
    assert class_weights([0, 0, 1, 1], 2, "on") == pytest.approx([1.0, 1.0])


def test_torchrun_with_two_cpu_processes_trains_and_saves_once(tmp_path, tiny_file):
    output = tmp_path / "ddp-model"
    command = [str(BIN / "torchrun"), "--standalone", "--nproc_per_node=2", "--no-python", str(BIN / "conflict-paragraphs"),
               "train", "--data", str(tiny_file), "--output", str(output), "--max-steps", "2", "--batch-size", "4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (output / "model.safetensors").is_file()
    card = read_card(output)
    assert card.labels[0] == "attribution"
    assert card.training["world_size"] == 2
    assert result.stdout.count("validation: macro_f1") == 1, "only rank 0 reports"
    assert _leftovers(tmp_path) == []


def test_output_that_is_or_holds_the_data_is_refused_even_with_overwrite(tmp_path, tiny_file):
    from model.errors import InputError
    from training.finetune import check_output

    with pytest.raises(InputError, match="is or contains the training data"):
        check_output(tiny_file.parent, overwrite=True, data=tiny_file)
    with pytest.raises(InputError, match="is or contains the training data"):
        check_output(tmp_path, overwrite=True, data=tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine")
    with pytest.raises(InputError, match="replaces only models"):
        check_output(notes, overwrite=True)


def _first_test_paragraphs(n: int) -> list[str]:
    return [json.loads(line)["text"] for line in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:n]]


def test_init_from_the_shipped_model_starts_from_its_accuracy(tmp_path, tiny_file):
    """A few steps on a few labels continue the shipped model: its labels and nearly all its answers are kept,
    where the same steps from the base model know nothing yet."""
    from model import load_predictor

    few = tmp_path / "few.jsonl"
    rows = [r for r in map(json.loads, tiny_file.read_text().splitlines()) if r["label"] in ("other", "attribution")]
    few.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = TrainConfig(init_from="shipped", epochs=1, max_steps=2, batch_size=8, learning_rate=1e-5, validation_fraction=0.25)
    result = train(config, few, tmp_path / "continued", progress=False)
    shipped = load_predictor(backend="torch")
    assert result.card.labels == shipped.labels, "the data's two labels are among the model's five: its head is kept"
    assert result.card.base_model == read_card(ROOT / "model" / "default").base_model
    assert result.card.training["init_from"] == "shipped"
    texts = _first_test_paragraphs(60)
    before = [p.label for p in shipped.predict(texts)]
    after = [p.label for p in load_predictor(tmp_path / "continued", backend="torch").predict(texts)]
    assert sum(a == b for a, b in zip(before, after)) >= 57


def test_init_from_with_other_labels_gets_a_new_head(tmp_path, tiny_file):
    from model import load_predictor

    own = tmp_path / "own.jsonl"
    rows = [{"text": r["text"], "label": "event" if r["label"] != "other" else "noise"}
            for r in map(json.loads, tiny_file.read_text().splitlines())]
    own.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = train(TrainConfig(init_from="shipped", **FAST), own, tmp_path / "mine", progress=False)
    assert result.card.labels == ["event", "noise"]
    assert load_predictor(tmp_path / "mine").predict("Rebels shelled the port.").label in ("event", "noise")


def test_mix_corpus_adds_the_corpus_train_split_but_never_your_validation(tmp_path, tiny_file):
    from training.data import load_splits
    from training.finetune import mixed_with

    mine = load_splits(tiny_file, 0.25, 42)
    corpus = tmp_path / "corpus.jsonl"
    held = mine.validation[0]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in [held] + [
        {"text": f"Mortar fire hit sector {i} overnight, the army said.", "label": "military_action"} for i in range(9)
    ] + [{"text": f"Donors pledged {i} million for the clinics.", "label": "funding_policy"} for i in range(9)]))
    mixed = mixed_with(mine, corpus, TrainConfig(validation_fraction=0.1))
    assert len(mixed.train) > len(mine.train) and mixed.validation == mine.validation
    assert held["text"] not in {r["text"] for r in mixed.train}, "a paragraph you validate on is never trained on"


def test_cli_init_from_a_missing_directory_is_one_line(tmp_path, tiny_file):
    from typer.testing import CliRunner

    from model.cli import app

    result = CliRunner().invoke(app, ["train", "--data", str(tiny_file), "--output", str(tmp_path / "m"),
                                      "--init-from", str(tmp_path / "nope")])
    assert result.exit_code == 2 and result.output.strip() == f"error: --init-from {tmp_path / 'nope'}: not found"

"""`export --format hf`: the shipped (compact) model as a standard Hugging Face directory."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from model import load_predictor
from model.cli import app
from model.loading import DEFAULT_MODEL_DIR
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("hf") / "standard"
    result = CliRunner().invoke(app, ["export", "--format", "hf", "--output", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_transformers_loads_it_offline_with_the_predictors_labels(hf_dir):
    from transformers import AutoModelForSequenceClassification, pipeline

    rows = [json.loads(line) for line in (ROOT / "data" / "challenge_wire.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows[::8]]
    assert (hf_dir / "model.safetensors").is_file() and not (hf_dir / "tuned_weights.safetensors").exists()
    model = AutoModelForSequenceClassification.from_pretrained(str(hf_dir), local_files_only=True)
    assert model.config.id2label[0] == load_predictor(backend="torch").labels[0]
    classifier = pipeline("text-classification", model=str(hf_dir), device="cpu")
    theirs = [out["label"] for out in classifier(texts, truncation=True)]
    ours = [p.label for p in load_predictor(backend="torch").predict(texts)]
    assert theirs == ours


def test_our_loader_reads_the_export_as_a_full_model(hf_dir):
    predictor = load_predictor(hf_dir, backend="torch")
    assert predictor.card.format == "full"
    assert predictor.predict("Rebels shelled the airport overnight, the army said.").label == "military_action"


def test_export_refuses_an_existing_output_and_a_missing_output(hf_dir):
    runner = CliRunner()
    again = runner.invoke(app, ["export", "--format", "hf", "--output", str(hf_dir)])
    assert again.exit_code == 2 and f"error: {hf_dir} already exists" in again.stderr
    missing = runner.invoke(app, ["export", "--format", "hf"])
    assert missing.exit_code == 2 and "--output" in missing.stderr


def test_a_base_that_does_not_match_the_card_is_refused(tmp_path):
    copy = tmp_path / "shipped"
    shutil.copytree(DEFAULT_MODEL_DIR, copy, ignore=shutil.ignore_patterns("*.onnx"))
    card = json.loads((copy / "model_card.json").read_text())
    assert len(card["base_sha256"]) == 64
    card["base_sha256"] = "0" * 64
    (copy / "model_card.json").write_text(json.dumps(card))
    result = CliRunner().invoke(app, ["classify", "-", "--model", str(copy), "--backend", "torch"], input="Text.")
    assert result.exit_code == 2
    assert "is not the one this model was made on" in result.stderr and len(result.stderr.strip().splitlines()) == 1

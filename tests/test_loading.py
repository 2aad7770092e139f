import json
import shutil

import pytest

from model.errors import InputError
from model.loading import check_model_dir, labels_in_order, load_card, load_model, resolve_base_model


def copy_model(tiny_model, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(tiny_model, target)
    return target


def test_missing_directory(tmp_path):
    with pytest.raises(InputError, match="model directory not found"):
        check_model_dir(tmp_path / "nowhere")


def test_corrupt_config(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    (directory / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="corrupt config.json"):
        check_model_dir(directory)


def test_no_label_map(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="no label map"):
        check_model_dir(directory)


def test_checkpoint_without_a_classifier_head_is_refused():
    with pytest.raises(InputError, match=r"\['BertModel'\] has no sequence-classification head"):
        check_model_dir(resolve_base_model(None))


def test_pickle_only_directory_is_refused(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    (directory / "model.safetensors").rename(directory / "pytorch_model.bin")
    with pytest.raises(InputError, match="only pickle weights"):
        load_model(directory)


def test_tensorflow_only_directory_is_refused_without_calling_it_pickle(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    (directory / "model.safetensors").rename(directory / "tf_model.h5")
    with pytest.raises(InputError, match=r"only TensorFlow or Flax weights \(tf_model.h5\)") as error:
        check_model_dir(directory)
    assert "pickle" not in str(error.value)


def test_a_directory_without_a_card_gets_one_that_says_how_it_is_stored(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    (directory / "model_card.json").unlink()
    config = check_model_dir(directory)
    assert load_card(directory, config).format == "full"
    (directory / "adapter_config.json").write_text("{}")
    assert load_card(directory, config).format == "lora"


def test_labels_follow_the_output_indices_numerically():
    config = {"id2label": {"10": "k", "2": "c", "0": "a", "1": "b"}}
    assert labels_in_order(config) == ["a", "b", "c", "k"]


def test_truncated_weights_give_an_error_not_a_traceback(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    weights = directory / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(InputError, match="cannot load model"):
        load_model(directory)


def test_another_architecture_gives_an_error_not_a_traceback(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config.update(model_type="gpt2", architectures=["GPT2ForSequenceClassification"], n_layer=2, n_embd=64, n_head=2)
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="cannot load model"):
        load_model(directory)


def test_missing_tokenizer_is_named(tiny_model, tmp_path):
    from model import load_predictor

    directory = copy_model(tiny_model, tmp_path)
    (directory / "tokenizer.json").unlink()
    with pytest.raises(InputError, match="cannot load tokenizer.json"):
        load_predictor(directory)


def test_a_directory_that_asks_to_run_its_own_code_is_refused(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "evil.EvilModel"}
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "evil.py").write_text("raise SystemExit('ran the directory code')\n")
    with pytest.raises(InputError, match="auto_map"):
        check_model_dir(directory)


def test_a_pickled_adapter_is_refused_even_beside_safetensors(tiny_model, tmp_path):
    directory = copy_model(tiny_model, tmp_path)
    (directory / "adapter_config.json").write_text("{}")
    (directory / "adapter_model.safetensors").write_bytes(b"")
    (directory / "adapter_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(InputError, match="adapter_model.bin is pickle"):
        check_model_dir(directory)


@pytest.mark.parametrize("name", ["./models/mine", "/nowhere/model", "models/nonexistent/x"])
def test_a_base_model_path_with_a_typo_is_reported_at_once(name):
    with pytest.raises(InputError, match="base model directory not found"):
        resolve_base_model(name)


def test_hub_names_are_left_to_the_hub_unless_it_is_out_of_reach(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert resolve_base_model("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="base model not found: models/nonexistent"):
        resolve_base_model("models/nonexistent")


@pytest.mark.parametrize("change, message", [
    ({"temperature": float("nan")}, "temperature must be a positive number"),
    ({"temperature": 0}, "temperature must be a positive number"),
    ({"temperature": -1.5}, "temperature must be a positive number"),
    ({"labels": ["a", "a", "b", "c", "d"]}, "duplicate labels"),
    ({"labels": ["zeta", "alpha"]}, "do not match the model's outputs"),
])
def test_a_card_that_cannot_give_sound_scores_is_refused(tiny_model, tmp_path, change, message):
    from typer.testing import CliRunner

    from model.cli import app

    directory = copy_model(tiny_model, tmp_path)
    card = json.loads((directory / "model_card.json").read_text())
    card.update(change)
    (directory / "model_card.json").write_text(json.dumps(card))
    result = CliRunner().invoke(app, ["classify", "-", "--model", str(directory)], input="Troops took the town.")
    assert result.exit_code == 2 and message in result.stderr and str(directory) in result.stderr


def test_a_short_window_still_classifies_long_paragraphs(tiny_model, tmp_path):
    from model import load_predictor

    directory = copy_model(tiny_model, tmp_path)
    card = json.loads((directory / "model_card.json").read_text())
    card["max_length"] = 32
    (directory / "model_card.json").write_text(json.dumps(card))
    predictor = load_predictor(directory)
    assert predictor.predict("Troops took the town after a long night of shelling. " * 20).label in predictor.labels


def test_a_card_naming_a_hub_base_never_reaches_the_network(tmp_path, monkeypatch):
    """Loading a model directory is offline: a hub id in the card fails at once instead of downloading."""
    import time

    from model.loading import DEFAULT_MODEL_DIR

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    directory = tmp_path / "shipped"
    shutil.copytree(DEFAULT_MODEL_DIR, directory, ignore=shutil.ignore_patterns("*.onnx"))
    card = json.loads((directory / "model_card.json").read_text())
    card["base_model"] = "someone-else/their-weights"
    (directory / "model_card.json").write_text(json.dumps(card))
    started = time.monotonic()
    with pytest.raises(InputError, match="never downloads"):
        load_model(directory)
    assert time.monotonic() - started < 10

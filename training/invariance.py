"""Invariance under sourcing (CheckList's INV tests, Ribeiro et al., ACL 2020).

Wire copy sources nearly every fact: the same event is written bare, with "..., the ministry
said", "According to ...", inside a direct quote, or as "X told Reuters that ...". The guide
labels all of these by what is reported (rules 1 and 4), so a model that changes its label with
the frame has learned "a source or a quote means attribution". `frames` writes one plain
sentence in each frame; `flip_rates` reports how often the label differs from the bare one.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FRAMES = ("bare", "said", "according_to", "quote", "told_agency")
# label -> sources that `statements_from` names: none of them is a speaker that training.augment's
# frames use, so a model cannot pass the check by having seen these very frames in training
SPEAKERS = {
    "military_action": ("the general staff", "an army officer", "a police official", "villagers",
                        "a regional security chief", "a navy spokeswoman", "local journalists", "the insurgents' spokesman"),
    "casualty_report": ("a hospital director", "the Red Cross", "a morgue worker", "the interior ministry",
                        "emergency services", "a district health officer", "the UN humanitarian office", "paramedics"),
    "funding_policy": ("the treasury", "a government spokesman", "the foreign ministry", "the parliament speaker",
                       "an EU official", "the defence minister", "the cabinet office", "a budget official"),
}


@dataclass(frozen=True)
class Statement:
    text: str  # one plain sentence that ends with a full stop, with no source in it
    label: str
    speaker: str  # who the frames name as the source, e.g. "the defence ministry"
    starts_with_proper_noun: bool  # keep the first letter's case after "According to X,"


def load_statements(path: Path) -> list[Statement]:
    """Statements from JSONL rows with text, label, speaker and starts_with_proper_noun."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Statement(r["text"], r["label"], r["speaker"], bool(r["starts_with_proper_noun"])) for r in rows]


def statements_from(rows: list[dict]) -> list[Statement]:
    """Statements made from labelled paragraphs (a validation split, say), so that a recipe can be
    chosen on invariance without looking at data/invariance.jsonl: each one-sentence event, toll
    or decision with no source, and the first sentence of each sourced one with its source cut off
    (`training.augment`). The speaker is a plausible source for the label (SPEAKERS), chosen by position."""
    from training.augment import LOWERABLE, bare_sentence, eligible

    statements = []
    for row in rows:
        text, label = row["text"], row["label"]
        bare = text.strip() if eligible(text, label) else bare_sentence(text, label)
        if bare:
            speakers = SPEAKERS[label]
            first = bare.split(" ", 1)[0]
            statements.append(Statement(bare, label, speakers[len(statements) % len(speakers)], first.lower() not in LOWERABLE))
    return statements


def render(report: dict, n: int, model: str, target: float = 0.03, source: str = "data/invariance.jsonl") -> str:
    """A Markdown table: flips against the bare sentence and accuracy, per frame."""
    lines = [f"Model {model}, {n} statements ({source}). Target: at most {target:.0%} flips in any frame.", "",
             "| frame | label flips vs bare | accuracy |", "|---|---|---|"]
    for frame in FRAMES:
        r = report[frame]
        lines.append(f"| {frame} | {r['flip_rate']:.1%} ({len(r['flips'])}) | {r['accuracy']:.1%} |")
    return "\n".join(lines) + "\n"


def _lowered(statement: Statement) -> str:
    text = statement.text
    return text if statement.starts_with_proper_noun else text[:1].lower() + text[1:]


def frames(statement: Statement) -> dict[str, str]:
    """The statement in every sourcing frame, by frame name."""
    body = statement.text.rstrip().rstrip(".")
    speaker = statement.speaker
    capital = speaker[:1].upper() + speaker[1:]
    return {
        "bare": statement.text,
        "said": f"{body}, {speaker} said.",
        "according_to": f"According to {speaker}, {_lowered(statement)}",
        "quote": f"\u201c{body},\u201d {speaker} said.",
        "told_agency": f"{capital} told Reuters that {_lowered(statement)}",
    }


def flip_rates(statements: list[Statement], predict: Callable[[list[str]], list[str]]) -> dict[str, dict]:
    """Per frame: the share of labels that differ from the bare sentence's, and accuracy against the gold label."""
    framed = [frames(s) for s in statements]
    labels = {frame: predict([f[frame] for f in framed]) for frame in FRAMES}
    report = {}
    for frame in FRAMES:
        flips = [i for i, (a, b) in enumerate(zip(labels["bare"], labels[frame])) if a != b]
        report[frame] = {
            "flip_rate": len(flips) / len(statements),
            "accuracy": sum(p == s.label for p, s in zip(labels[frame], statements)) / len(statements),
            "flips": [{"text": framed[i][frame], "bare": labels["bare"][i], "framed": labels[frame][i]} for i in flips],
        }
    return report

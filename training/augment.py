"""Sourcing augmentation: plain event, toll and decision sentences, copied into wire-style frames.

Wire copy tells events through sources and quotes ("..., the army said", "“We took the bridge,”
a commander told AFP"), and the guide labels them by what they report (rules 1 and 4). Our
corpus writes many such paragraphs, but most plain sentences in it carry no source at all, which
lets a model learn that a source or a quote means `attribution`. Each training sentence that
reports an event, toll or decision with no source, no quote and no claim gets one copy in one
sourcing frame, keeping its label. Only the train split is augmented; the copies are made at
training time and never written into data/. `train --augment-sourcing` turns it on.

The frames and speakers here are deliberately not those of `training.invariance`, which tests
the same property on sentences of its own.
"""

import random
import re

REPORTED = {  # label -> who might be the source of such a sentence in wire copy
    "military_action": ("the army", "a military spokesman", "a local commander", "the rebels", "a security source",
                        "residents", "the defence ministry", "witnesses"),
    "casualty_report": ("medics", "the health ministry", "hospital officials", "a civil defence official",
                        "the United Nations", "local officials", "a rescue worker", "the provincial governor"),
    "funding_policy": ("the ministry", "officials", "the government", "a ministry spokeswoman", "diplomats",
                       "the finance minister", "a senior official", "the president's office"),
}
AGENCIES = ("AFP", "the Associated Press", "Reuters", "local media", "state television", "reporters")
SOURCED = re.compile(r"\b(said|say|says|told|tell|according|reported|claim\w*|stated|announc\w*|noted|statement|added|accus\w*|den\w+|blam\w+)\b"
                     r"|[\"“”]", re.IGNORECASE)
MAX_WORDS = 45
FURNITURE = re.compile(r"^[^a-z]{0,40}?(:|\u2014|\u2013| - )|^[A-Z]{4,}")  # datelines, time stamps, speaker names
LOWERABLE = {"the", "a", "an", "in", "on", "at", "by", "within", "some", "more", "most", "several", "two", "three",
             "four", "five", "six", "seven", "eight", "nine", "ten", "about", "around", "nearly", "over", "troops",
             "government", "rebel", "rebels", "police", "soldiers", "fighters", "forces", "security", "heavy", "fighting"}


def eligible(text: str, label: str) -> bool:
    """One plain sentence that reports an event, toll or decision, with no source or claim in it."""
    sentences = re.findall(r"[.!?](?:\s|$)", text)
    return (label in REPORTED and len(sentences) <= 1 and text.rstrip().endswith(".")
            and len(text.split()) <= MAX_WORDS and not SOURCED.search(text) and not FURNITURE.search(text))


def _framed(text: str, speaker: str, agency: str, frame: int) -> str:
    body = text.rstrip().rstrip(".")
    first = body.split(" ", 1)[0]
    lowered = first.lower() + body[len(first):] if first.lower() in LOWERABLE else body
    capital = speaker[:1].upper() + speaker[1:]
    return (
        f"{body}, {speaker} said on condition of anonymity." if frame == 0 and "source" in speaker else
        f"{body}, {speaker} told {agency}." if frame == 0 else
        f"\u201c{body},\u201d {speaker} said in a statement." if frame == 1 else
        f"{capital} said {lowered}." if frame == 2 and lowered != body else
        f"\"{body},\" said {speaker}." if frame == 3 else
        f"{body}, according to {speaker}."
    )


def sourcing_copies(rows: list[dict], seed: int) -> list[dict]:
    """One framed copy of every eligible row, label kept; frames and speakers drawn with `seed`."""
    rng = random.Random(seed)
    copies = []
    for row in rows:
        if eligible(row["text"], row["label"]):
            speaker, agency = rng.choice(REPORTED[row["label"]]), rng.choice(AGENCIES)
            copies.append({"text": _framed(row["text"], speaker, agency, rng.randrange(5)), "label": row["label"]})
    return copies

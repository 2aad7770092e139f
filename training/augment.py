"""Sourcing augmentation: event, toll and decision sentences seen both with a source and without.

Wire copy tells events through sources and quotes ("..., the army said", "“We took the bridge,”
a commander told AFP"), and also bare ("The toll rose to 31."); the guide labels all of them by
what they report (rules 1 and 4). A corpus in which one of the two forms is rarer for content
than for other paragraphs teaches a shortcut: "a source or a quote means `attribution`", or its
mirror image, "a short sentence with no source is background". So the augmentation goes both
ways, keeping the label:
- each one-sentence event, toll or decision with no source, no quote and no claim gets one copy
  in one sourcing frame (`_framed`);
- each event, toll or decision whose first sentence is sourced in a way that can be cut off
  cleanly (", the army said."; "According to medics, ..."; "“...,” a commander said.") gets one
  copy of that sentence bare (`bare_sentence`).
Only the train split is augmented; the copies are made at training time and never written into
data/. `train --augment-sourcing` turns it on.

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


# A source tag that can be cut off a sentence's end: ", <speaker> said|told X|reported|added [when]."
_WHEN = r"(?:\s+(?:on|late on|early on|in|at|this|last|earlier|later|after|by|from|overnight|today|yesterday)\b[^,]{0,40})?"
_SPEAKER = r"(?!(?:which|who|whom|that|but|and|as|while|when|where|although|though|because|if)\b)[^,\"“”]{2,70}?"
_TAIL = re.compile(r"^(?P<body>[^\"“”]+?),\s+(?:according to [^,\"“”]{2,70}|" + _SPEAKER
                   + r"\s(?:said|says|told (?:[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*){0,3}|the [A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*){0,3}|reporters|journalists)|reported|added|confirmed)"
                   + _WHEN + r"(?: in a statement)?)\.$")
_PREFIX = re.compile(r"^According to [^,\"“”]{2,70}, (?P<body>[^\"“”]+?)\.$")
_QUOTED = re.compile(r"^[\"“](?P<body>[^\"“”]+?)[,.]?[\"”],?\s+[^\"“”]{2,70}\b(?:said|says|told|added)\b[^\"“”]{0,60}\.$")
_FIRST_SENTENCE = re.compile(r"^.+?[.!?][\"”]?(?=\s+[\"“A-Z]|$)")


def bare_sentence(text: str, label: str) -> str | None:
    """The first sentence of an event, toll or decision with its source tag cut off, or None.

    None when the label is not a content label, the sentence has no source that can be cut off
    cleanly, or what is left still names a source or is too short to stand alone.
    """
    first = _FIRST_SENTENCE.match(text.strip())
    if label not in REPORTED or not first or FURNITURE.search(text):
        return None
    sentence = first.group(0)
    match = _TAIL.match(sentence) or _PREFIX.match(sentence) or _QUOTED.match(sentence)
    if not match:
        return None
    body = match.group("body").strip()
    if len(body.split()) < 5 or SOURCED.search(body):
        return None
    return body[:1].upper() + body[1:] + "."


def sourcing_copies(rows: list[dict], seed: int) -> list[dict]:
    """One copy of every eligible row in the other form, label kept: a bare row framed (frames
    and speakers drawn with `seed`), a sourced one bare."""
    rng = random.Random(seed)
    copies = []
    for row in rows:
        if eligible(row["text"], row["label"]):
            speaker, agency = rng.choice(REPORTED[row["label"]]), rng.choice(AGENCIES)
            copies.append({"text": _framed(row["text"], speaker, agency, rng.randrange(5)), "label": row["label"]})
        elif bare := bare_sentence(row["text"], row["label"]):
            copies.append({"text": bare, "label": row["label"]})
    return copies

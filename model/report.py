"""The HTML report: classified articles as one self-contained page that analysts can open and share.

One file, no network: inline CSS, no scripts, fonts or images from elsewhere. Every piece of
text from an article, a file name or a model card is escaped with `html.escape`, so a paragraph
that contains `<script>` or an `onerror=` attribute shows as text and runs nothing.
"""

import datetime
import html
from collections import Counter

from model.classify import UNCERTAIN, summarise

COLOURS = {  # label -> tint; a colour-blind-safe palette (Okabe-Ito)
    "military_action": "#d55e00",
    "casualty_report": "#cc79a7",
    "funding_policy": "#0072b2",
    "attribution": "#e69f00",
    "other": "#999999",
    UNCERTAIN: "#555555",
}
SHOWN_SHARE = 0.3  # a span is highlighted when its weight is at least this share of the paragraph's strongest
NOISE_FLOOR = 0.05  # log-odds: smaller changes are within int8's run-to-run noise
FALLBACK_COLOURS = ("#009e73", "#56b4e9", "#f0e442", "#000000")  # for label sets of other models

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: .85rem; } .meta code { background: #f3f3f3; padding: 0 .25rem; }
.legend span { display: inline-block; margin: .2rem .6rem .2rem 0; padding: 0 .5rem; border-left: .6rem solid var(--c); }
table.index { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; } table.index td, table.index th { border-bottom: 1px solid #eee; padding: .2rem .6rem; text-align: left; }
.bar { display: flex; height: .8rem; width: 16rem; border-radius: 2px; overflow: hidden; background: #eee; }
.bar span { display: block; height: 100%; background: var(--c); }
.summary { display: flex; gap: 1rem; align-items: center; font-size: .85rem; color: #444; margin: .5rem 0 1rem; }
.para { position: relative; margin: .6rem 0; padding: .45rem .7rem .45rem .9rem; border-left: .45rem solid var(--c);
        background: color-mix(in srgb, var(--c) 12%, white); border-radius: 0 4px 4px 0; }
.para.other { opacity: .55; } .para.uncertain { border-left-style: dashed; background: #f6f6f6; }
.tag { float: right; margin-left: .8rem; font-size: .75rem; color: #333; white-space: nowrap; }
.tag b { color: var(--c); filter: brightness(.8); } .tag .why { color: #777; }
mark { border-radius: 2px; padding: 0 1px; color: inherit; }
"""


def _colour(label: str, labels: list[str]) -> str:
    if label in COLOURS:
        return COLOURS[label]
    unknown = [name for name in labels if name not in COLOURS]
    return FALLBACK_COLOURS[unknown.index(label) % len(FALLBACK_COLOURS)] if label in unknown else "#888888"


def _highlighted(text: str, explanation: list[dict] | None) -> str:
    """The paragraph, escaped, with each explained span marked: green toward the label, red away from it."""
    if not explanation:
        return html.escape(text)
    strongest = max(abs(s["weight"]) for s in explanation) or 1.0
    out, position = [], 0
    for span in sorted(explanation, key=lambda s: s["start"]):
        share = abs(span["weight"]) / strongest
        out.append(html.escape(text[position:span["start"]]))
        piece = html.escape(text[span["start"]:span["end"]])
        if share >= SHOWN_SHARE and abs(span["weight"]) >= NOISE_FLOOR:
            rgb = "0,158,115" if span["weight"] > 0 else "213,94,0"
            out.append(f'<mark style="background: rgba({rgb},{0.1 + 0.6 * share:.2f})" '
                       f'title="{span["weight"]:+.3f}">{piece}</mark>')
        else:
            out.append(piece)
        position = span["end"]
    out.append(html.escape(text[position:]))
    return "".join(out)


def _paragraph(row: dict, labels: list[str], anchor: str) -> str:
    label = row["label"]
    classes = "para" + (" other" if label == "other" else "") + (" uncertain" if label == UNCERTAIN else "")
    best = max(row["scores"], key=row["scores"].get)
    shown = f"uncertain (best: {html.escape(best)})" if label == UNCERTAIN else html.escape(label)
    why = ""
    if row.get("explanation"):
        pushed = [s["text"] for s in sorted(row["explanation"], key=lambda s: -s["weight"]) if s["weight"] > 0][:3]
        why = f' <span class="why">· {html.escape(", ".join(pushed))}</span>' if pushed else ""
    return (f'<div class="{classes}" style="--c: {_colour(label, labels)}" data-label="{html.escape(label)}" '
            f'id="{anchor}-p{row["paragraph"]}">'
            f'<span class="tag"><b>{shown}</b> {row["score"]:.2f}{why}</span>{_highlighted(row["text"], row.get("explanation"))}</div>')


def _bar(counts: dict[str, int], labels: list[str]) -> str:
    total = sum(counts.values()) or 1
    parts = "".join(f'<span style="--c: {_colour(label, labels)}; width: {100 * n / total:.1f}%" title="{html.escape(label)}: {n}"></span>'
                    for label, n in counts.items() if n)
    return f'<div class="bar">{parts}</div>'


def render_report(articles: list[list[dict]], labels: list[str], card, model_name: str, command: str) -> str:
    """One HTML page for the classified articles (each a list of classify rows, optionally explained)."""
    summaries = [summarise(rows, labels) for rows in articles]
    shown_labels = labels + ([UNCERTAIN] if any(s["labels"].get(UNCERTAIN) for s in summaries) else [])
    legend = "".join(f'<span style="--c: {_colour(label, labels)}">{html.escape(label)}</span>' for label in shown_labels)
    facts = (f"model <code>{html.escape(model_name)}</code>: base {html.escape(card.base_model)}, "
             f"data sha256 <code>{html.escape(card.data_sha256[:12] or 'unknown')}</code>, made {html.escape(card.created or 'unknown')}")
    made = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    total = Counter()
    for s in summaries:
        total.update(s["labels"])
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>conflict-paragraphs: {html.escape(summaries[0]['source']) if len(articles) == 1 else f'{len(articles)} articles'}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Paragraph labels</h1>",
        f'<p class="meta">{facts}.<br>Made {made} by <code>{html.escape(command)}</code>.</p>',
        f'<p class="legend">{legend}</p>',
    ]
    if len(articles) > 1:
        parts.append('<table class="index"><tr><th>article</th><th>paragraphs</th><th>dominant</th><th>labels</th></tr>')
        for number, s in enumerate(summaries):
            parts.append(f'<tr><td><a href="#a{number}">{html.escape(s["source"])}</a></td><td>{s["paragraphs"]}</td>'
                         f'<td>{html.escape(s["dominant"])}</td><td>{_bar(s["labels"], labels)}</td></tr>')
        parts.append("</table>")
    for number, (rows, s) in enumerate(zip(articles, summaries)):
        counts = ", ".join(f"{html.escape(label)} {n}" for label, n in s["labels"].items() if n)
        parts += [f'<section class="article" id="a{number}"><h2>{html.escape(s["source"])}</h2>',
                  f'<div class="summary">{_bar(s["labels"], labels)}<span>{s["paragraphs"]} paragraphs: {counts}; '
                  f'dominant <b>{html.escape(s["dominant"])}</b></span></div>']
        parts += [_paragraph(row, labels, f"a{number}") for row in rows]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

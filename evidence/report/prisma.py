"""The PRISMA 2020 flow diagram of one condition as a deterministic SVG, drawn from its numbers.

``flow_svg`` takes a row of ``evidence.pubmed.status.prisma_flow`` and the condition's exclusion reasons
and returns an SVG document (plain text; no fonts, scripts or links to load; no date). The boxes
follow the PRISMA 2020 template for new reviews (Page et al. 2021, BMJ 372:n71, Figure 1), with
the stages this tracker records:

Identification  records identified from PubMed (the condition's search); studies identified from
                other sources (review reference lists, hand searching)
Screening       studies assessed (a decision in studies.csv); retrieved records still awaiting a
                decision; studies excluded, with reasons (counted per reason)
Included        studies included, and how many of them give usable effect data

A stage the snapshot does not hold is drawn dashed and says what is missing: before any PubMed
search has run, the PubMed count, duplicates removed and records awaiting screening are unknown,
so those boxes say "not available" and why instead of a number.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from xml.sax.saxutils import escape

import pandas as pd

WIDTH = 760
BOX_W = 330
LEFT_X, RIGHT_X = 20, 410
LINE_H = 16
PAD = 10
CHARS = 48  # characters per line in a box (12 px sans-serif, 330 px wide)
MAX_REASONS = 12
NOT_SEARCHED = "not available: no PubMed search has been run into this snapshot yet"


class _Canvas:
    """Boxes, arrows and labels collected as SVG elements, in drawing order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: int, y: int, lines: list[str], dashed: bool = False, bold_first: bool = True) -> int:
        """A box with ``lines`` (each already wrapped) at (x, y); returns its height."""
        height = 2 * PAD + LINE_H * len(lines)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{height}" rx="4" fill="#ffffff" '
            f'stroke="#22303f" stroke-width="1.2"{dash}/>'
        )
        for i, line in enumerate(lines):
            weight = ' font-weight="bold"' if i == 0 and bold_first else ""
            self.parts.append(f'<text x="{x + PAD}" y="{y + PAD + LINE_H * (i + 1) - 4}"{weight}>{escape(line)}</text>')
        return height

    def arrow(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#22303f" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )

    def stage(self, y: int, height: int, label: str) -> None:
        """A stage label (Identification, Screening, Included) down the left margin."""
        self.parts.append(
            f'<text x="10" y="{y + height // 2}" font-weight="bold" fill="#1a5fb4" '
            f'transform="rotate(-90 10 {y + height // 2})" text-anchor="middle">{escape(label)}</text>'
        )


def _wrap(*paragraphs: str) -> list[str]:
    return [line for p in paragraphs for line in (textwrap.wrap(p, CHARS) or [""])]


def _reason_lines(reasons: pd.Series) -> list[str]:
    """Exclusion reasons counted, most frequent first (then alphabetically), at most MAX_REASONS."""
    counts = reasons.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"{reason} (n\u00a0=\u00a0{n})" for reason, n in ordered[:MAX_REASONS]]  # no break inside "(n = 1)"
    if len(ordered) > MAX_REASONS:
        lines.append(f"{len(ordered) - MAX_REASONS} further reason(s): see the table of excluded studies")
    return [
        wrapped for line in lines for wrapped in textwrap.wrap(line, CHARS, initial_indent="- ", subsequent_indent="  ")
    ]


def flow_svg(flow: Mapping[str, object], reasons: pd.Series, label: str) -> str:
    """The PRISMA 2020 flow diagram of one condition (a ``prisma_flow`` row) as an SVG document.

    ``reasons`` are the exclusion reasons of the condition's excluded studies; ``label`` its name.
    """
    searched = bool(flow["searched"])
    c = _Canvas()
    x_main = LEFT_X + 20
    y = 50
    # identification
    pubmed = _wrap(
        "Records identified from PubMed",
        f"search {flow['condition_id']}",
        f"n = {flow['identified_pubmed']}" if searched else NOT_SEARCHED,
    )
    other = _wrap(
        "Studies identified from other sources",
        "review reference lists, hand searching",
        f"n = {flow['identified_other']}",
    )
    h_left = c.box(x_main, y, pubmed, dashed=not searched)
    h_right = c.box(RIGHT_X, y, other)
    h_ident = max(h_left, h_right)
    c.stage(y, h_ident, "Identification")
    y_screen = y + h_ident + 40
    c.arrow(x_main + BOX_W // 2, y + h_left, x_main + BOX_W // 2, y_screen)
    c.arrow(RIGHT_X + BOX_W // 2, y + h_right, x_main + BOX_W, y_screen + 10)
    # screening: the trunk runs from "assessed" down to "included"; side boxes hang off it to the right
    screened = _wrap("Studies assessed for eligibility", "a decision in studies.csv", f"n = {flow['screened']}")
    awaiting = _wrap(
        "Retrieved records awaiting a decision", f"n = {flow['awaiting_screening']}" if searched else NOT_SEARCHED
    )
    h_screened = c.box(x_main, y_screen, screened)
    h_awaiting = c.box(RIGHT_X, y_screen, awaiting, dashed=not searched)
    y_excl = y_screen + max(h_screened, h_awaiting) + 20
    excluded = [f"Studies excluded: n = {flow['excluded']}"] + (
        ["with reasons:", *_reason_lines(reasons)] if flow["excluded"] else []
    )
    h_excl = c.box(RIGHT_X, y_excl, excluded)
    trunk = x_main + BOX_W // 2
    c.arrow(trunk, y_excl + 14, RIGHT_X, y_excl + 14)
    c.stage(y_screen, y_excl + h_excl - y_screen, "Screening")
    # included
    y_incl = y_excl + h_excl + 30
    c.arrow(trunk, y_screen + h_screened, trunk, y_incl)
    included = _wrap(
        f"Studies included: n = {flow['included']}",
        f"with usable effect data for at least one evidence question: n = {flow['included_with_data']}",
    )
    h_incl = c.box(x_main, y_incl, included)
    c.stage(y_incl, h_incl, "Included")
    y_note = y_incl + h_incl + 24
    missing = "Not recorded by this tracker: duplicates removed before screening, and reports sought but not retrieved."
    notes = textwrap.wrap(
        missing if searched else f"Dashed boxes: stages this snapshot does not hold yet. {missing}", 2 * CHARS + 20
    )
    for i, line in enumerate(notes):
        c.parts.append(f'<text x="{x_main}" y="{y_note + LINE_H * i}" fill="#5b6675">{escape(line)}</text>')
    height = y_note + LINE_H * len(notes) + 10
    title = f"PRISMA 2020 flow diagram: {label}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
    )
    defs = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#22303f"/></marker></defs>'
    )
    header = f'<text x="{x_main}" y="26" font-size="14" font-weight="bold">{escape(title)}</text>'
    return "\n".join([head, f"<title>{escape(title)}</title>", defs, header, *c.parts, "</svg>"]) + "\n"

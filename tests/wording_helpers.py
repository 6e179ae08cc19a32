"""Register claims for the wording checker's tests and benchmark, made from the rows of the frozen
verdict fixture (tests/fixtures/wording_verdicts.csv): the checker takes ``Claim`` objects."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from evidence.curation.claims import Claim
from evidence.curation.topics import topic_type
from evidence.wording import drafts, rules

VERDICTS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wording_verdicts.csv"


def claim(
    claim_id: str, topic: str, statement: str = "", conditions: tuple[str, ...] = (), frequency: str | None = None
) -> Claim:
    """A register claim with no evidence ids and no occurrences."""
    return Claim(
        id=claim_id,
        statement=statement,
        topic=topic,
        type=topic_type(topic),
        conditions=conditions,
        outcome_domain=None,
        asserted=True,
        frequency_claimed=frequency,
        reviews=(),
        safety=(),
        mechanisms=(),
        occurrences=(),
        note="",
    )


def claims_from_verdicts(verdicts: pd.DataFrame) -> list[Claim]:
    """One claim per verdict row (id, statement, topic, condition_ids, frequency_claimed)."""
    return [
        claim(
            r["claim_id"],
            r["topic"],
            r.get("statement", ""),
            tuple(c for c in str(r.get("condition_ids", "")).split(";") if c),
            r.get("frequency_claimed") or None,
        )
        for r in verdicts.to_dict("records")
    ]


def fixture() -> tuple[list[Claim], pd.DataFrame]:
    """The claims and verdicts of the frozen fixture."""
    verdicts = pd.read_csv(VERDICTS_FIXTURE, dtype=str, keep_default_na=False)
    return claims_from_verdicts(verdicts), verdicts


# a small register built from Claim objects and verdict rows, for the checker's unit tests
def verdict_row(claim_id: str, topic: str, verdict: str, certainty: str, allowed: str = "") -> dict[str, str]:
    return {
        "claim_id": claim_id,
        "statement": "",
        "type": "",
        "topic": topic,
        "condition_ids": "",
        "verdict": verdict,
        "certainty": certainty,
        "effect": "",
        "allowed_wording": allowed,
        "evidence_ids": "",
        "reason": "",
    }


NECK_LOW = verdict_row(
    "neck", "neck_pain", "overstated", "low", "Dry needling may reduce neck pain slightly in the short term."
)
HEEL_LOW = verdict_row("heel", "plantar_heel_pain", "overstated", "low", "Dry needling may reduce heel pain slightly.")
ELBOW_LOW = verdict_row(
    "elbow", "lateral_elbow_tendinopathy", "overstated", "low", "Dry needling may ease tennis elbow."
)
ELBOW_SUPPORTED = verdict_row("elbow", "lateral_elbow_tendinopathy", "supported", "moderate")
HEADACHE_VERY_LOW = verdict_row(
    "head", "headache", "uncertain", "very_low", "The evidence is very uncertain for headache."
)
LACTIC = verdict_row("lactic", "lactic_acid", "contradicted", "moderate", "Do not mention lactic acid.")
TOXINS = verdict_row("toxins", "metabolic_waste", "contradicted", "moderate", "Do not mention toxins.")
BLOOD = verdict_row(
    "blood", "blood_flow", "uncertain", "very_low", "Whether needling changes blood flow is very uncertain."
)
TRIGGER = verdict_row("trigger", "trigger_point_release", "uncertain", "very_low", "Trigger-point release is unproven.")
JAW = verdict_row("jaw", "tmd", "uncertain", "very_low", "The evidence is very uncertain for jaw pain.")
SAFE_RARE = verdict_row(
    "serious_rare",
    "general_safety",
    "supported",
    "moderate",
    "Serious problems are rare; soreness and bruising are common.",
)
SPORTS = verdict_row("sports", "sports_injuries", "unsupported", "", "There is no trial evidence for sports injuries.")
MEDICATION = verdict_row("meds", "medication_use", "unsupported", "", "No trial measured medication use.")
ROM = verdict_row("rom", "range_of_motion", "overstated", "low", "Dry needling may improve range of motion slightly.")
FREQUENCY = {"serious_rare": "rare"}

ALL = [
    NECK_LOW,
    HEEL_LOW,
    ELBOW_LOW,
    HEADACHE_VERY_LOW,
    LACTIC,
    TOXINS,
    BLOOD,
    TRIGGER,
    JAW,
    SAFE_RARE,
    SPORTS,
    MEDICATION,
    ROM,
]


def register_of(rows: list[dict[str, str]]):
    """Claims (one per row, frequency from FREQUENCY) and the verdict table."""
    claims = [claim(r["claim_id"], r["topic"], r["statement"], frequency=FREQUENCY.get(r["claim_id"])) for r in rows]
    return claims, pd.DataFrame(rows, columns=list(NECK_LOW))


def check(text: str, rows: list[dict[str, str]]) -> list[rules.Finding]:
    """Findings for a small draft (lines separated by newlines, bullets as '- ')."""
    claims, verdicts = register_of(rows)
    return rules.check_sentences(drafts.split_sentences(text), claims, verdicts)


def one(text: str, rows: list[dict[str, str]]) -> rules.Finding | None:
    found = check(text, rows)
    assert len(found) <= 1, found
    return found[0] if found else None


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def set_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def make_docx(path: Path, paragraphs: list[tuple[str, str | None]]) -> Path:
    """A Word document with the given (text, style) paragraphs and a one-cell table."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Table cell text."
    document.save(str(path))
    return path


#: the labelled sets written in our own words (real clinic copy is never stored in the project)
OWN_LABELLED_SETS = {
    "wording_clinic_style.csv": "text",
    "wording_fresh_1.csv": "text",
    "wording_fresh_2.csv": "text",
    "wording_hedged.csv": "text",
    "wording_labelled.csv": "sentence",
}


def own_labelled_texts() -> list[str]:
    """Every text of our own labelled sets and dev sentences (a row's lines joined by newlines)."""
    curated = Path(__file__).resolve().parents[1] / "data" / "curated"
    texts = []
    for name, column in OWN_LABELLED_SETS.items():
        texts += list(pd.read_csv(curated / name, dtype=str, keep_default_na=False)[column])
    dev = pd.read_csv(VERDICTS_FIXTURE.parent / "wording_dev_sentences.csv", dtype=str, keep_default_na=False)
    return [t.replace("\\n", "\n") for t in [*texts, *dev["text"]]]

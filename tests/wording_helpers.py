"""Register claims for the wording checker's tests and benchmark, made from the rows of the frozen
verdict fixture (tests/fixtures/wording_verdicts.csv): the checker takes ``Claim`` objects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evidence.claims import Claim
from evidence.topics import topic_type

VERDICTS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wording_verdicts.csv"


def claim(claim_id: str, topic: str, statement: str = "", conditions: tuple[str, ...] = (),
          frequency: str | None = None) -> Claim:
    """A register claim with no evidence ids and no occurrences."""
    return Claim(id=claim_id, statement=statement, topic=topic, type=topic_type(topic), conditions=conditions,
                 outcome_domain=None, asserted=True, frequency_claimed=frequency, reviews=(), safety=(), mechanisms=(),
                 occurrences=(), note="")


def claims_from_verdicts(verdicts: pd.DataFrame) -> list[Claim]:
    """One claim per verdict row (id, statement, topic, condition_ids, frequency_claimed)."""
    return [claim(r["claim_id"], r["topic"], r.get("statement", ""),
                  tuple(c for c in str(r.get("condition_ids", "")).split(";") if c),
                  r.get("frequency_claimed") or None)
            for r in verdicts.to_dict("records")]


def fixture() -> tuple[list[Claim], pd.DataFrame]:
    """The claims and verdicts of the frozen fixture."""
    verdicts = pd.read_csv(VERDICTS_FIXTURE, dtype=str, keep_default_na=False)
    return claims_from_verdicts(verdicts), verdicts

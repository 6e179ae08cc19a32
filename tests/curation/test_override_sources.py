"""Overrides and per-claim links need a reason and a source (issue 19, rule 7): the source is an id of
the curated tables (so it has a PMID or DOI), and a conference abstract never decides an override alone.
Both checks failed before the rule."""

from __future__ import annotations

from evidence.curation.schema import validate
from tests.curation.test_schema import broken  # noqa: F401  (fixture)


def test_an_override_needs_a_known_source(broken):  # noqa: F811
    target, edit = broken
    row = edit("verdict_overrides", {"claim_id": "efficacy_frozen_shoulder"}, "source", "Hazar2014")
    assert any(
        p.file == "verdict_overrides.csv" and p.row == row and p.column == "source" and "Hazar2014" in p.message
        for p in validate(target)
    )
    edit("verdict_overrides", {"claim_id": "efficacy_frozen_shoulder"}, "source", "")
    assert any(p.file == "verdict_overrides.csv" and p.column == "source" for p in validate(target))


def test_a_conference_abstract_alone_does_not_decide_an_override(broken):  # noqa: F811
    target, edit = broken
    edit("studies", {"study_id": "Kalia2020"}, "publication_status", "conference_abstract")
    row = edit("verdict_overrides", {"claim_id": "efficacy_frozen_shoulder"}, "source", "Kalia2020")
    assert any(
        p.file == "verdict_overrides.csv" and p.row == row and "conference abstract" in p.message
        for p in validate(target)
    )

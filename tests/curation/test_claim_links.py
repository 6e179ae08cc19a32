"""The per-claim links of claims.yaml (issue 19, rule 7): each claim that links evidence says why (a
reason) and each link resolves to a source with a PMID or DOI; the claim fields of the second round of
verdict rules are checked. These tests failed before the rule."""

from __future__ import annotations

import pytest

from evidence.config import ConfigError
from evidence.curation.claims import link_sources, load_claims
from evidence.curation.schema import load_curated
from tests.curation.test_claims import CLAIMS, raw, write  # noqa: F401  (fixture)
from tests.paths import PROJECT


def test_a_claim_with_links_needs_a_reason(tmp_path, raw):  # noqa: F811
    entry = next(c for c in raw["claims"] if c["id"] == "efficacy_neck_pain")
    del entry["link_reason"]
    with pytest.raises(ConfigError, match="efficacy_neck_pain.*link_reason"):
        load_claims(write(tmp_path, raw))


def test_every_link_resolves_to_a_source_with_a_pmid_or_doi():
    claims = load_claims(CLAIMS)
    curated = load_curated(PROJECT / "data" / "curated")
    linked = [c for c in claims if c.reviews or c.safety or c.mechanisms]
    assert linked and all(c.link_reason for c in linked)
    linked_sources = link_sources(linked, curated)
    for c in linked:
        sources = linked_sources[c.id]
        assert len(sources) == len(c.reviews) + len(c.safety) + len(c.mechanisms)
        assert all(s.identifier.startswith(("PMID ", "DOI ")) for s in sources), c.id


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("question", "speed", "question must be one of"),
        ("states_limit", "yes", "states_limit must be true or false"),
        ("duration_claimed_hours", -4, "duration_claimed_hours must be a positive number"),
    ],
)
def test_the_new_claim_fields_are_checked(tmp_path, raw, field, value, message):  # noqa: F811
    entry = next(c for c in raw["claims"] if c["id"] == "efficacy_neck_pain")
    entry[field] = value
    with pytest.raises(ConfigError, match=message):
        load_claims(write(tmp_path, raw))

"""The per-claim links of claims.yaml (issue 19, rule 7): every link (a linked review, safety row or
mechanism row) carries its own reason, a mechanism link says whether it tested the claim, a hedged
claim says how it is hedged, each link resolves to a source with a PMID or DOI, and ``validate``
refuses a register that breaks any of it (exit code 2, naming file, claim and link). The claim
fields of the second round of verdict rules are checked too. The per-link tests failed on the
register with one ``link_reason`` per claim."""

from __future__ import annotations

import pytest
import yaml

from evidence.cli import main
from evidence.config import ConfigError
from evidence.curation.claims import link_sources, load_claims
from evidence.curation.schema import load_curated
from tests.conftest import copy_data
from tests.curation.test_claims import CLAIMS, raw, write  # noqa: F401  (fixture)
from tests.paths import PROJECT


def _claim(raw: dict, claim_id: str) -> dict:  # noqa: F811
    return next(c for c in raw["claims"] if c["id"] == claim_id)


@pytest.mark.parametrize(
    "claim_id,kind,ref",
    [
        ("efficacy_neck_pain", "reviews", "Liu2015"),
        ("soreness_common", "safety", "Brady2014_pain_after"),
        ("blood_flow", "mechanisms", "Sandberg2004_blood_flow"),
    ],
)
def test_every_link_needs_its_own_reason(tmp_path, raw, claim_id, kind, ref):  # noqa: F811
    link = next(e for e in _claim(raw, claim_id)["evidence"][kind] if e["id"] == ref)
    del link["reason"]
    with pytest.raises(ConfigError) as raised:
        load_claims(write(tmp_path, raw))
    message = str(raised.value)
    assert "claims.yaml" in message and claim_id in message and f"evidence.{kind}" in message and ref in message
    assert "needs its own reason" in message


def test_validate_exits_2_on_a_link_without_a_reason(tmp_path, capsys):
    paths = copy_data(tmp_path / "data")
    register = yaml.safe_load(paths.claims.read_text())
    _claim(register, "efficacy_low_back_pain")["evidence"]["reviews"][0]["reason"] = " "
    paths.claims.write_text(yaml.safe_dump(register, sort_keys=False))
    assert main(["validate", "--data-dir", str(paths.root)]) == 2
    out = capsys.readouterr().out
    assert "claims.yaml" in out and "efficacy_low_back_pain" in out and "Hu2018" in out


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c["evidence"]["reviews"].__setitem__(0, "Liu2015"), "a link is a mapping"),
        (lambda c: c["evidence"]["reviews"][0].update(tested=True), "for a mechanism, tested"),
        (lambda c: c["evidence"]["reviews"][0].update(why="x"), "a link has only id and reason"),
    ],
)
def test_a_malformed_link_is_refused(tmp_path, raw, change, message):  # noqa: F811
    change(_claim(raw, "efficacy_neck_pain"))
    with pytest.raises(ConfigError, match=f"efficacy_neck_pain.*{message}"):
        load_claims(write(tmp_path, raw))


def test_a_hedged_claim_needs_a_hedge_reason(tmp_path, raw):  # noqa: F811
    del _claim(raw, "rom_hip")["hedge_reason"]
    with pytest.raises(ConfigError, match=r"\(rom_hip\): asserted is false, so the claim needs a hedge_reason"):
        load_claims(write(tmp_path, raw))
    _claim(raw, "efficacy_neck_pain")["hedge_reason"] = "not hedged at all"
    with pytest.raises(ConfigError, match="only for a claim with asserted: false"):
        load_claims(write(tmp_path, raw))


def test_tested_mechanism_links_are_the_claims_tested_by(tmp_path, raw):  # noqa: F811
    claims = {c.id: c for c in load_claims(CLAIMS)}
    assert claims["blood_flow"].tested_by == claims["blood_flow"].mechanisms
    assert claims["trigger_point_release"].tested_by == ("Liu2017_trigger_point",)
    assert claims["trigger_points_cause_pain"].tested_by == ()
    _claim(raw, "trigger_points_cause_pain")["evidence"]["mechanisms"][0]["tested"] = True
    changed = {c.id: c for c in load_claims(write(tmp_path, raw))}
    assert changed["trigger_points_cause_pain"].tested_by == ("Quintner2015_trigger_point",)


def test_every_link_has_a_reason_and_a_source_with_a_pmid_or_doi():
    claims = load_claims(CLAIMS)
    curated = load_curated(PROJECT / "data" / "curated")
    linked = [c for c in claims if c.links]
    assert linked
    linked_sources = link_sources(linked, curated)
    for c in linked:
        assert len(c.links) == len(c.reviews) + len(c.safety) + len(c.mechanisms)
        assert all(link.reason for link in c.links), c.id
        sources = linked_sources[c.id]
        assert [s.link for s in sources] == list(c.links)
        assert all(s.identifier.startswith(("PMID ", "DOI ")) and s.cite for s in sources), c.id
    assert all(c.hedge_reason for c in claims if not c.asserted)


def test_a_link_whose_source_has_no_pmid_or_doi_is_a_problem():
    from evidence.curation.claims import check_evidence_ids

    curated = load_curated(PROJECT / "data" / "curated")
    claims = load_claims(CLAIMS)
    reviews = curated.reviews.copy()
    reviews.loc[reviews["review_id"] == "Hu2018", ["pmid", "doi"]] = ""
    problems = check_evidence_ids(claims, type(curated)({**curated.tables, "reviews": reviews}))
    assert "claim efficacy_low_back_pain: the reviews link 'Hu2018' has no source with a PMID or DOI" in problems


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

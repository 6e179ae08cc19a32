"""The ClinicalTrials.gov client against a local server speaking the API v2 JSON schema: paging,
429 with Retry-After, 5xx, a silent server, malformed JSON, and how a study becomes a row."""

from __future__ import annotations

import time

import pytest

from evidence.curation.searches import load_search_definitions
from evidence.http import Deadline, DeadlineExceeded
from evidence.registry.ctgov import RegistryError, condition_query, registration_row
from tests.ctgov_server import STUDIES
from tests.paths import PROJECT
from tests.registry.conftest import make_registry_client

ELBOW_QUERY = condition_query(
    load_search_definitions(PROJECT / "data/curated/searches.yaml").condition("lateral_elbow_tendinopathy")
)


def test_search_follows_page_tokens_to_the_last_page(ctgov):
    client = make_registry_client(ctgov)
    pages = list(client.search("dry needling", None, page_size=3))
    assert [len(p.studies) for p in pages] == [3, 3, 2]
    assert pages[0].total == len(STUDIES) and pages[1].total is None
    sent = [params for _, params in ctgov.state.requests]
    assert [p.get("pageToken") for p in sent] == [None, "tok-3", "tok-6"]
    assert sent[0]["query.intr"] == "dry needling" and sent[0]["countTotal"] == "true"
    assert "protocolSection.referencesModule.references" in sent[0]["fields"].split(",")


def test_condition_query_selects_the_condition(ctgov):
    assert ELBOW_QUERY.startswith('"tennis elbow" OR "lateral epicondylitis"')
    client = make_registry_client(ctgov)
    ids = [
        s["protocolSection"]["identificationModule"]["nctId"]
        for p in client.search("dry needling", ELBOW_QUERY)
        for s in p.studies
    ]
    assert ids == ["NCT02710682", "NCT03167710", "NCT07042997"]


def test_429_waits_as_long_as_retry_after_says(ctgov):
    ctgov.state.plan = ["429", "503"]
    sleeps = []
    client = make_registry_client(ctgov, sleeps)
    pages = list(client.search("dry needling"))
    assert len(pages[0].studies) == len(STUDIES)
    assert sleeps[0] == 7.0 and sleeps[1] < 1  # Retry-After, then the backoff
    assert client.requests_made == 3


def test_5xx_every_time_fails_with_the_last_reason(ctgov):
    ctgov.state.plan = ["500", "503", "500"]
    client = make_registry_client(ctgov)
    with pytest.raises(RegistryError, match="studies failed after 3 attempts: HTTP 500"):
        list(client.search("dry needling"))


def test_malformed_json_is_retried_then_reported(ctgov):
    ctgov.state.plan = ["malformed"]
    client = make_registry_client(ctgov)
    assert len(next(client.search("dry needling")).studies) == len(STUDIES)
    ctgov.state.plan = ["malformed"] * 3
    with pytest.raises(RegistryError, match="malformed JSON"):
        list(client.search("dry needling"))


def test_json_without_studies_is_an_error_not_zero_results(ctgov):
    ctgov.state.plan = ["no-studies"]
    with pytest.raises(RegistryError, match="no 'studies' list"):
        list(make_registry_client(ctgov).search("dry needling"))


def test_a_silent_server_stops_at_the_deadline(ctgov):
    ctgov.state.plan = ["silent"] * 5
    client = make_registry_client(ctgov, timeout=30.0, deadline=Deadline(0.8))
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="deadline"):
        list(client.search("dry needling"))
    assert time.monotonic() - start < 3


def test_probe_answers_none_when_the_registry_answers(ctgov):
    assert make_registry_client(ctgov).probe(timeout=2) is None
    assert ctgov.state.requests[-1][0] == "/api/v2/version"


def test_a_study_becomes_a_row_with_result_pmids_only():
    row = registration_row(STUDIES[0], "neck_pain", "2026-12-06")
    assert row["nct_id"] == "NCT02219386" and row["condition_id"] == "neck_pain" and row["origin"] == "fetched"
    assert row["linked_pmids"] == "27582622"  # the BACKGROUND reference is left out
    assert (row["start_date"], row["completion_date"], row["completion_kind"]) == (
        "2011-01",
        "2013-12",
        "completion (actual)",
    )
    assert row["has_results"] == "false" and row["source_url"] == "https://clinicaltrials.gov/study/NCT02219386"
    heel = registration_row(STUDIES[3], "plantar_heel_pain", "2026-12-06")
    assert heel["has_results"] == "true" and (heel["enrollment"], heel["enrollment_type"]) == ("102", "ACTUAL")
    with pytest.raises(RegistryError, match="nctId"):
        registration_row({"protocolSection": {}}, "neck_pain", "2026-12-06")

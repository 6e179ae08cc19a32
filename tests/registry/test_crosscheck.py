"""The cross-check: curated and fetched rows joined without silent overwrites, registrations matched
to studies by registry id and by linked PMID, and the 'completed 2+ years ago, no results found' flag."""

from __future__ import annotations

import pandas as pd
import pytest

from evidence.curation.schema import load_curated
from evidence.registry.crosscheck import SUMMARY_COLUMNS, combine, crosscheck, differences, matched_studies
from evidence.registry.ctgov import registration_row
from evidence.registry.store import FETCHED_COLUMNS
from tests.ctgov_server import STUDIES
from tests.paths import PROJECT


@pytest.fixture(scope="module")
def curated():
    return load_curated(PROJECT / "data/curated")


def seed(curated, *ncts: str) -> pd.DataFrame:
    regs = curated.registrations
    return regs[regs["nct_id"].isin(ncts)].reset_index(drop=True)


def fetched(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(FETCHED_COLUMNS))


def test_matching_by_registry_id_and_by_linked_pmid(curated):
    studies = curated.studies
    regs = pd.DataFrame(
        [
            {"nct_id": "NCT02219386", "linked_pmids": ""},  # CerezoTellez2016b names it in registry_id
            {"nct_id": "NCT09999999", "linked_pmids": "27582622"},  # a made-up id linking that study's PMID
            {"nct_id": "NCT03844802", "linked_pmids": ""},  # no study names it
        ]
    )
    assert matched_studies(regs, studies) == {
        "NCT02219386": ["CerezoTellez2016b"],
        "NCT09999999": ["CerezoTellez2016b"],
        "NCT03844802": [],
    }


def test_completed_two_years_before_the_snapshot_without_results_is_unreported(curated):
    # the seed rows were read on 2026-12-06: NCT03844802 ended 2023-07-30, NCT05607459 on 2025-03-30
    rows = seed(curated, "NCT03844802", "NCT05607459", "NCT02219386", "NCT02435966", "NCT06149442")
    table, summary = crosscheck(rows, fetched(), curated.studies)
    found = dict(zip(table["nct_id"], table["finding"]))
    assert found == {
        "NCT02219386": "published",  # matched to CerezoTellez2016b
        "NCT02435966": "results_posted",
        "NCT03844802": "unreported",
        "NCT05607459": "completed_recently",
        "NCT06149442": "ongoing",
    }
    neck = summary.set_index("condition_id").loc["neck_pain"]
    assert (neck["registered"], neck["completed"], neck["published"], neck["unreported"], neck["ongoing"]) == (
        5,
        4,
        1,
        1,
        1,
    )
    assert neck["unreported_ids"] == "NCT03844802" and neck["snapshot_date"] == "2026-12-06"


def test_the_two_years_are_counted_from_the_snapshot_date(curated):
    row = seed(curated, "NCT03844802").assign(completion_date="2024-12-06", read_date="2026-12-06")
    assert crosscheck(row, fetched(), curated.studies)[0]["finding"].item() == "unreported"
    later = row.assign(completion_date="2024-12-07")
    assert crosscheck(later, fetched(), curated.studies)[0]["finding"].item() == "completed_recently"
    month = row.assign(completion_date="2024-12")  # a month counts as its last day
    assert crosscheck(month, fetched(), curated.studies)[0]["finding"].item() == "completed_recently"
    undated = row.assign(completion_date="")
    assert crosscheck(undated, fetched(), curated.studies)[0]["finding"].item() == "completed_undated"


def test_a_fetched_row_extends_the_curated_one_and_every_difference_is_listed(curated):
    rows = seed(curated, "NCT02219386")
    got = registration_row(STUDIES[0], "neck_pain", "2026-12-10")
    joined = combine(rows, fetched(got)).iloc[0]
    assert joined["origin"] == "fetched" and joined["linked_pmids"] == "27582622"
    assert joined["title"] == rows.iloc[0]["title"] and joined["seen_on"] == "2026-12-10"
    assert (
        joined["differs"].split("; ")[0]
        == "completion_kind: curated 'primary completion (actual)', fetched 'completion (actual)'"
    )
    assert "primary_outcomes: curated 'Subjective pain VAS" in joined["differs"]
    assert differences(rows, fetched(got)) == [f"neck_pain NCT02219386: {joined['differs']}"]
    same = {**got, **{k: rows.iloc[0][k] for k in ("primary_outcomes", "completion_kind")}}
    assert differences(rows, fetched(same)) == []


def test_all_dry_needling_counts_each_registration_once(curated):
    regs = curated.registrations
    table, summary = crosscheck(regs, fetched(), curated.studies)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    total = summary.set_index("condition_id").loc["all_dry_needling"]
    assert total["registered"] == regs["nct_id"].nunique()
    doubled = pd.concat([regs, regs.iloc[:1].assign(condition_id="shoulder_pain")], ignore_index=True)
    assert (
        crosscheck(doubled, fetched(), curated.studies)[1]
        .set_index("condition_id")
        .loc["all_dry_needling", "registered"]
        == regs["nct_id"].nunique()
    )

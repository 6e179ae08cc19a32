"""Validation of the curated tables: the committed data is clean; each deliberate fault is
reported with its file, row, column and what is wrong."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from evidence.cli import main
from evidence.curation.schema import load_curated, validate
from tests.conftest import PROJECT

CURATED = PROJECT / "data" / "curated"


def test_committed_curated_data_validates():
    assert [str(p) for p in validate(CURATED)] == []


def test_cli_validate_on_committed_data_exits_0(capsys):
    assert main(["validate"]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.fixture
def broken(tmp_path):
    """A copy of the curated tables and a function that edits one cell."""
    target = tmp_path / "curated"
    shutil.copytree(CURATED, target, ignore=shutil.ignore_patterns("staging*"))

    def edit(table: str, row_where: dict, column: str, value: str) -> int:
        path = target / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        mask = pd.Series(True, index=frame.index)
        for k, v in row_where.items():
            mask &= frame[k] == v
        index = frame.index[mask][0]
        frame.loc[index, column] = value
        frame.to_csv(path, index=False, lineterminator="\n")
        return index + 2  # the row's line in the file (the header is line 1)

    return target, edit


def _first(table: str, column: str, predicate) -> dict:
    frame = pd.read_csv(CURATED / f"{table}.csv", dtype=str, keep_default_na=False)
    row = frame[frame[column].map(predicate)].iloc[0]
    key = {
        "outcomes": ["study_id", "comparator_type", "outcome_domain", "instrument", "timepoint_weeks"],
        "studies": ["study_id", "condition_id"],
        "review_findings": ["review_id", "condition_id", "comparator_type", "outcome_domain", "window"],
    }[table]
    return {k: row[k] for k in key}


CASES = [
    ("outcomes", lambda: _first("outcomes", "dn_sd", bool), "dn_sd", "0", "outcomes.csv", "dn_sd", "greater than 0"),
    ("outcomes", lambda: _first("outcomes", "dn_sd", bool), "dn_sd", "-2", "outcomes.csv", "dn_sd", "greater than 0"),
    ("outcomes", lambda: _first("outcomes", "dn_n", bool), "dn_n", "100000", "outcomes.csv", "dn_n", "more than the"),
    ("outcomes", lambda: _first("outcomes", "dn_n", bool), "dn_n", "ten", "outcomes.csv", "dn_n", "whole number"),
    (
        "outcomes",
        lambda: _first("outcomes", "effect_ci_low", bool),
        "effect",
        "999",
        "outcomes.csv",
        "effect",
        "does not contain the estimate",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "timepoint_weeks", lambda v: v not in ("", "0")),
        "window",
        "immediate",
        "outcomes.csv",
        "window",
        "does not match timepoint_weeks",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "study_id", bool),
        "study_id",
        "Nobody1999",
        "outcomes.csv",
        "study_id",
        "unknown study_id 'Nobody1999'",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "outcome_domain", bool),
        "outcome_domain",
        "happiness",
        "outcomes.csv",
        "outcome_domain",
        "must be one of",
    ),
    (
        "studies",
        lambda: _first("studies", "pmid", bool),
        "decision",
        "maybe",
        "studies.csv",
        "decision",
        "must be one of",
    ),
    # what the analysis relies on (issue 12): ordered intervals and quantiles, finite positive numbers, the scale
    (
        "outcomes",
        lambda: _first("outcomes", "dn_ci_low", bool),
        "dn_ci_low",
        "60",
        "outcomes.csv",
        "dn_ci_low",
        "the CI is out of order",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "dn_q1", bool),
        "dn_q1",
        "70",
        "outcomes.csv",
        "dn_median",
        "min <= q1 <= median <= q3 <= max",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "effect_ci_low", bool),
        "effect_ci_high",
        "-30",
        "outcomes.csv",
        "effect_ci_low",
        "the CI is out of order",
    ),
    ("outcomes", lambda: _first("outcomes", "dn_sd", bool), "dn_sd", "inf", "outcomes.csv", "dn_sd", "finite"),
    (
        "outcomes",
        lambda: _first("outcomes", "dn_mean", lambda v: v not in ("",)),
        "scale_max",
        "0",
        "outcomes.csv",
        "scale_max",
        "greater than 0",
    ),
    (
        "outcomes",
        lambda: _first("outcomes", "dn_ci_low", bool),
        "dn_mean",
        "150",
        "outcomes.csv",
        "dn_mean",
        "outside the scale",
    ),
    (
        "review_findings",
        lambda: _first("review_findings", "ci_low", bool),
        "ci_low",
        "1000",
        "review_findings.csv",
        "ci_low",
        "the CI is out of order",
    ),
    (
        "review_findings",
        lambda: _first("review_findings", "review_id", bool),
        "review_id",
        "Ghost2020",
        "review_findings.csv",
        "review_id",
        "unknown review_id 'Ghost2020'",
    ),
]


@pytest.mark.parametrize(
    "table,where,column,value,file,expected_column,message", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES]
)
def test_each_fault_is_reported_with_file_row_column(
    broken, table, where, column, value, file, expected_column, message
):
    target, edit = broken
    row = edit(table, where(), column, value)
    problems = validate(target)
    hits = [p for p in problems if p.file == file and p.column == expected_column and message in p.message]
    assert hits, f"expected a problem in {file} column {expected_column} containing {message!r}; got {problems}"
    assert any(p.row == row for p in hits)


def test_safety_and_mid_values_the_verdicts_rely_on(broken):
    target, edit = broken
    rate = edit(
        "safety",
        {
            "safety_id": pd.read_csv(CURATED / "safety.csv", dtype=str, keep_default_na=False)
            .query("rate_percent != ''")
            .iloc[0]["safety_id"]
        },
        "rate_percent",
        "-0.5",
    )
    mid = edit("mids", {"instrument": "DASH"}, "mid", "0")
    problems = validate(target)
    assert any(p.file == "safety.csv" and p.row == rate and p.column == "rate_percent" for p in problems)
    assert any(p.file == "mids.csv" and p.row == mid and p.column == "mid" for p in problems)


def test_study_without_pmid_or_doi(broken):
    target, edit = broken
    where = _first("studies", "pmid", bool)
    edit("studies", where, "pmid", "")
    row = edit("studies", where, "doi", "")
    assert any(p.row == row and "needs a PMID or a DOI" in p.message for p in validate(target))


def test_duplicate_key_and_missing_file_and_bad_header(broken):
    target, _ = broken
    studies = pd.read_csv(target / "studies.csv", dtype=str, keep_default_na=False)
    pd.concat([studies, studies.iloc[[0]]]).to_csv(target / "studies.csv", index=False)
    (target / "mids.csv").unlink()
    safety = pd.read_csv(target / "safety.csv", dtype=str, keep_default_na=False).rename(columns={"events": "count"})
    safety.to_csv(target / "safety.csv", index=False)
    messages = [str(p) for p in validate(target)]
    assert any(m.startswith(f"studies.csv, row {len(studies) + 2}") and "duplicate key" in m for m in messages)
    assert "mids.csv: file is missing" in messages
    assert any(
        m.startswith("safety.csv, row 1") and "missing events" in m and "unexpected count" in m for m in messages
    )


def test_load_refuses_invalid_data_and_cli_exits_2(broken, capsys):
    from evidence.curation.schema import CurationError

    target, edit = broken
    edit("outcomes", _first("outcomes", "dn_sd", bool), "dn_sd", "0")
    with pytest.raises(CurationError, match="dn_sd"):
        load_curated(target)
    assert main(["validate", "--data-dir", str(target.parent)]) == 2
    assert "outcomes.csv, row" in capsys.readouterr().out


def test_coverage_must_agree_with_studies(broken):
    target, edit = broken
    row = edit("coverage", {"condition_id": "neck_pain"}, "status", "no_trials_found")
    assert any(
        p.file == "coverage.csv" and p.row == row and "disagrees with studies.csv" in p.message
        for p in validate(target)
    )


def test_extraction_coverage_names_a_known_study_of_that_condition(broken):
    target, edit = broken
    row = edit("extraction_coverage", {"study_id": "Sterling2015"}, "condition_id", "knee_pain")
    assert any(
        p.file == "extraction_coverage.csv"
        and p.row == row
        and p.column == "study_id"
        and "no study 'Sterling2015' with condition 'knee_pain'" in p.message
        for p in validate(target)
    )
    row = edit("extraction_coverage", {"study_id": "Gattie2021"}, "status", "unreadable")
    assert any(
        p.file == "extraction_coverage.csv" and p.row == row and p.column == "status" and "must be one of" in p.message
        for p in validate(target)
    )


def test_wrong_schema_version(broken):
    target, _ = broken
    (target / "schema_version.txt").write_text("0\n")
    assert any(p.file == "schema_version.txt" for p in validate(target))


def test_an_author_list_belongs_to_a_record_we_hold_and_starts_with_its_first_author(broken):
    target, _ = broken
    study = pd.read_csv(target / "studies.csv", dtype=str, keep_default_na=False).iloc[0]
    surname = study["first_author"].split(" ")[0]
    rows = [
        {"id": study["study_id"], "authors": f"{surname}, A; Other, B", "source_location": "PubMed record"},
        {"id": "NoSuchTrial2000", "authors": "Nobody, A", "source_location": "PubMed record"},
        {"id": study["study_id"] + "x", "authors": "", "source_location": ""},
    ]
    pd.DataFrame(rows).to_csv(target / "authors.csv", index=False)
    messages = [str(p) for p in validate(target) if p.file == "authors.csv"]
    assert not any(m.startswith("authors.csv, row 2") for m in messages)  # the first author leads: valid
    assert any(m.startswith("authors.csv, row 3") and "unknown id" in m for m in messages)
    assert any(m.startswith("authors.csv, row 4") and "authors" in m for m in messages)  # required cells
    rows[0]["authors"] = "Other, B; " + rows[0]["authors"]
    pd.DataFrame(rows[:1]).to_csv(target / "authors.csv", index=False)
    (problem,) = [str(p) for p in validate(target) if p.file == "authors.csv"]
    assert problem.startswith("authors.csv, row 2, column authors") and f"{study['first_author']!r}" in problem


def test_a_reviews_listed_trial_names_a_review_and_a_study_we_hold(broken):
    target, _ = broken
    review = pd.read_csv(target / "reviews.csv", dtype=str, keep_default_na=False).iloc[0]["review_id"]
    study = pd.read_csv(target / "studies.csv", dtype=str, keep_default_na=False).iloc[0]["study_id"]
    where = "Table 1 of the review (PMC full text)"
    rows = [
        {"review_id": review, "trial": "Held 2019", "study_id": study, "source_location": where},
        {"review_id": review, "trial": "Not held 2001", "study_id": "", "source_location": where},
        {"review_id": "NoSuchReview2000", "trial": "Any 2010", "study_id": "", "source_location": where},
        {"review_id": review, "trial": "Unknown 2012", "study_id": "NoSuchTrial2012", "source_location": where},
        {"review_id": review, "trial": "Held 2019", "study_id": study, "source_location": ""},
    ]
    pd.DataFrame(rows).to_csv(target / "review_trials.csv", index=False)
    messages = [str(p) for p in validate(target) if p.file == "review_trials.csv"]
    assert not any(m.startswith(("review_trials.csv, row 2", "review_trials.csv, row 3")) for m in messages)
    assert any(m.startswith("review_trials.csv, row 4, column review_id") and "unknown" in m for m in messages)
    assert any(m.startswith("review_trials.csv, row 5, column study_id") and "unknown" in m for m in messages)
    assert any(m.startswith("review_trials.csv, row 6") and "source_location" in m for m in messages)  # required
    assert any(m.startswith("review_trials.csv, row 6") and "duplicate key" in m for m in messages)

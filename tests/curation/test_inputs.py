"""Every human-edited input is loaded and validated once, and all problems come back the same way."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from evidence.curation.inputs import input_problems, load_inputs
from evidence.curation.schema import CurationError
from evidence.tables import read_csv
from tests.conftest import copy_data


@pytest.fixture
def paths(tmp_path):
    return copy_data(tmp_path / "data")


def _append(path, row: dict) -> None:
    frame = read_csv(path)
    pd.concat([frame, pd.DataFrame([row])], ignore_index=True).to_csv(path, index=False)


def test_the_committed_inputs_load_once_into_one_object(paths):
    inputs = load_inputs(paths)
    assert [c.id for c in inputs.claims] == sorted(c.id for c in inputs.claims) and inputs.claims
    assert set(inputs.definitions.ids) <= set(inputs.condition_labels)
    neck = inputs.definitions.condition("neck_pain")
    assert inputs.condition_labels["neck_pain"] == neck.people
    assert {"studies", "outcomes", "grade_overrides", "verdict_overrides"} <= set(inputs.curated.tables)
    assert input_problems(paths) == []


def test_problems_of_every_file_are_reported_together(paths):
    studies = read_csv(paths.curated / "studies.csv")
    studies.loc[2, "design"] = "cohort"
    studies.to_csv(paths.curated / "studies.csv", index=False)
    register = yaml.safe_load(paths.claims.read_text())
    register["claims"][0]["topic"] = "no_such_topic"
    register["claims"][1]["asserted"] = "yes"
    paths.claims.write_text(yaml.safe_dump(register, sort_keys=False))
    problems = input_problems(paths)
    where = {(p.file, p.row, p.column) for p in problems}
    assert ("studies.csv", 4, "design") in where  # data row 3 is line 4 of the file
    claim_problems = [p for p in problems if p.file == "claims.yaml"]
    assert len(claim_problems) == 2  # both broken claims, not only the first
    assert "claim #1" in claim_problems[0].message and "unknown topic" in claim_problems[0].message
    assert "claim #2" in claim_problems[1].message and "asserted" in claim_problems[1].message
    with pytest.raises(CurationError) as raised:
        load_inputs(paths)
    assert len(raised.value.problems) == len(problems)


@pytest.mark.parametrize(
    "row,column,message",
    [
        (
            {"question_id": "neck_pain:pain:sham", "certainty": "low", "reason": "r", "source": "Sterling2015"},
            "question_id",
            "not a question id",
        ),
        (
            {
                "question_id": "neck_pain:pain:placebo:short",
                "certainty": "low",
                "reason": "r",
                "source": "Sterling2015",
            },
            "question_id",
            "'placebo'",
        ),
        (
            {
                "question_id": "neck_pain:pain:sham:short",
                "certainty": "medium",
                "reason": "r",
                "source": "Sterling2015",
            },
            "certainty",
            "must be one of",
        ),
        (
            {"question_id": "neck_pain:pain:sham:short", "certainty": "low", "reason": "", "source": "Sterling2015"},
            "reason",
            "a value is required",
        ),
    ],
)
def test_grade_override_errors_name_row_and_column(paths, row, column, message):
    _append(paths.curated / "grade_overrides.csv", row)
    problems = [p for p in input_problems(paths) if p.file == "grade_overrides.csv"]
    assert len(problems) == 1
    assert (problems[0].row, problems[0].column) == (2, column) and message in problems[0].message  # line 2


@pytest.mark.parametrize(
    "row,column,message",
    [
        (
            {
                "claim_id": "no_such_claim",
                "verdict": "uncertain",
                "certainty": "",
                "allowed_wording": "",
                "reason": "r",
                "source": "Sterling2015",
            },
            "claim_id",
            "unknown claim_id",
        ),
        (
            {
                "claim_id": "efficacy_neck_pain",
                "verdict": "fine",
                "certainty": "",
                "allowed_wording": "",
                "reason": "r",
                "source": "Sterling2015",
            },
            "verdict",
            "must be one of",
        ),
        (
            {
                "claim_id": "efficacy_neck_pain",
                "verdict": "uncertain",
                "certainty": "meh",
                "allowed_wording": "",
                "reason": "r",
                "source": "Sterling2015",
            },
            "certainty",
            "must be one of",
        ),
    ],
)
def test_verdict_override_errors_name_row_and_column(paths, row, column, message):
    _append(paths.curated / "verdict_overrides.csv", row)
    problems = [p for p in input_problems(paths) if p.file == "verdict_overrides.csv"]
    assert problems and problems[0].column == column and message in problems[0].message
    assert problems[0].row == len(read_csv(paths.curated / "verdict_overrides.csv")) + 1  # the last line


def test_a_missing_search_definition_file_is_a_problem_not_a_crash(paths):
    paths.searches.unlink()
    problems = input_problems(paths)
    assert any(p.file == "searches.yaml" and "cannot read" in p.message for p in problems)

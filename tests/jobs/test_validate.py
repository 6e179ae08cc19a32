"""If ``validate`` passes, ``analyse`` cannot crash: a property test on randomly corrupted copies
of the committed curated tables (seeded, so a failure is reproducible by its case number).

Each case changes one to three cells of one table: to a hostile value, to the value of another
row, or swaps two numbers of the same row or makes them equal (so that ordered pairs such as CI
ends and quartiles come out of order or collapse), or gives an interval of zero width (an arm's CI
or quartiles collapsed onto its mean with the SD and SE emptied, so that the arm's numbers validate
but give no SD; an effect's CI collapsed onto the effect). A row is drawn by its shape first (which
numbers it holds), so that a shape only two rows have is tried as often as the commonest. Every case
must either fail validation (``evidence validate`` exits 2) or go through the analysis
(``analyse.compute``, what ``analyse`` computes before it writes) without an exception. The
tables are corrupted in memory and checked with the same functions ``validate`` runs (the command
itself runs on the written file for some invalid cases), so that the cases take under half a minute.

With ``row_effect`` calling ``_arm`` outside its ``try`` again (the crash on numbers that validate but
give no SD, which the edge tests below pin down), 4 of the 60 cases fail; the 120 cases of the test
before the zero-width intervals and the drawing by shape found none.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from evidence.cli import main
from evidence.config import DataPaths
from evidence.curation.inputs import cross_file_problems, load_inputs
from evidence.curation.schema import TABLES, Curated, table_problems
from evidence.jobs import analyse
from evidence.tables import write_csv
from tests.conftest import PROJECT

CASES, SEED = 60, 20261201  # about 0.3 s of CPU each: 0.1-0.2 s to validate, 0.4 s to analyse a valid one
CURATED = PROJECT / "data" / "curated"
# the tables the analysis reads numbers from, weighted towards the per-arm numbers of outcomes.csv
TARGETS = ("outcomes",) * 6 + ("review_findings",) * 2 + ("studies", "mids", "risk_of_bias", "safety")
HOSTILE = (
    "",
    "0",
    "1",
    "-1",
    "-0.5",
    "1e308",
    "-1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "0.0",
    "5",
    "10000",
    "abc",
    " ",
    "1,5",
    "true",
    "2",
    "100",
    "1e6",
)


ARMS = ("dn", "ctrl")
# an arm's spread given as an interval of zero width about its mean: (columns set to the mean, columns emptied after)
ZERO_WIDTH = {
    "CI": (("ci_low", "ci_high"), ("sd", "se")),
    "quartiles": (("median", "q1", "q3"), ("mean", "sd", "se", "min", "max")),
}
EFFECT_CI = {
    "outcomes": ("effect", "effect_ci_low", "effect_ci_high"),
    "review_findings": ("effect", "ci_low", "ci_high"),
}


def _numeric_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table][1] if c.kind in ("number", "int")]


def _row_by_shape(rng: random.Random, frame: pd.DataFrame, numeric: list[str]) -> int:
    """A row drawn by its shape first (the set of numbers it holds), then among the rows of that shape."""
    shapes: dict[tuple, list[int]] = {}
    for row, filled in zip(frame.index, (frame[numeric] != "").itertuples(index=False)):
        shapes.setdefault(tuple(filled), []).append(row)
    return rng.choice(shapes[rng.choice(sorted(shapes))])


def _collapse(rng: random.Random, frame: pd.DataFrame, table: str) -> str | None:
    """An interval of zero width in one row: an arm's spread given as a CI or quartiles collapsed onto its mean
    (its SD and SE emptied, so that the SD must come from them), or an effect's CI collapsed onto the effect;
    None when no row of ``frame`` has the numbers for one."""
    options = []
    if table == "outcomes":
        for arm in ARMS:
            rows = frame.index[(frame[f"{arm}_n"] != "") & (frame[f"{arm}_mean"] != "")]
            options += [(arm, form, rows) for form in ZERO_WIDTH if len(rows)]
    if table in EFFECT_CI:
        rows = frame.index[(frame[list(EFFECT_CI[table])] != "").all(axis=1)]
        options += [("effect", "CI", rows)] if len(rows) else []
    if not options:
        return None
    arm, form, rows = rng.choice(options)
    row = rng.choice(list(rows))
    if arm == "effect":
        centre, *ends = EFFECT_CI[table]
        frame.loc[row, ends] = frame.at[row, centre]
        return f"row {row}: effect CI collapsed onto {frame.at[row, centre]}"
    centre, (collapsed, emptied) = frame.at[row, f"{arm}_mean"], ZERO_WIDTH[form]
    frame.loc[row, [f"{arm}_{c}" for c in collapsed]] = centre
    frame.loc[row, [f"{arm}_{c}" for c in emptied]] = ""
    return f"row {row}: {arm} {form} of zero width at {centre}, no SD"


def corrupt(rng: random.Random, frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, str]:
    """A copy of ``frame`` with one to three cells changed; returns it and what was done."""
    frame = frame.copy()
    numeric = _numeric_columns(table)
    done = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        if rng.random() < 0.25 and (collapsed := _collapse(rng, frame, table)):
            done.append(collapsed)
            continue
        row = _row_by_shape(rng, frame, numeric)
        filled = [c for c in numeric if frame.at[row, c] != ""]
        if len(filled) >= 2 and rng.random() < 0.4:  # two numbers of the row swapped, or made equal
            a, b = rng.sample(filled, 2)
            if rng.random() < 0.5:
                frame.at[row, a], frame.at[row, b] = frame.at[row, b], frame.at[row, a]
                done.append(f"row {row}: swap {a} and {b}")
            else:
                frame.at[row, b] = frame.at[row, a]
                done.append(f"row {row}: {b} = {a}")
            continue
        column = rng.choice(numeric if numeric and rng.random() < 0.8 else list(frame.columns))
        # a hostile value, or a plausible one: the same column's value in another row
        value = rng.choice(HOSTILE) if rng.random() < 0.6 else frame.at[rng.randrange(len(frame)), column]
        if frame.at[row, column] not in ("", "0") and rng.random() < 0.3:
            value = str(-float(frame.at[row, column])) if _is_float(frame.at[row, column]) else value
        frame.at[row, column] = value
        done.append(f"row {row}: {column} = {value!r}")
    return frame, "; ".join(done)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.no_cover  # 60 runs of the same analysis add no line to coverage, only the tracer's time (25 s -> 46 s)
def test_every_corrupted_copy_fails_validate_or_analyses_cleanly(tmp_path, capsys):
    root = tmp_path / "data"
    shutil.copytree(CURATED, root / "curated", ignore=shutil.ignore_patterns("staging*"))
    paths = DataPaths(root)
    inputs = load_inputs(paths)  # the YAML files stay as committed; only the curated tables change
    rng = random.Random(SEED)
    outcome, failures = {"invalid": 0, "analysed": 0}, []
    for case in range(CASES):
        table = rng.choice(TARGETS)
        frame, what = corrupt(rng, inputs.curated.tables[table], table)
        curated = Curated({**inputs.curated.tables, table: frame})
        # the corrupted table's own checks first: when they fail, so does the whole check (the others are clean)
        if (
            table_problems({table: frame})
            or table_problems(curated.tables)
            or cross_file_problems(curated, list(inputs.claims))
        ):
            outcome["invalid"] += 1
            if case % 25 == 0:  # the command itself, on the file, for some of the invalid cases
                write_csv(frame, paths.curated / f"{table}.csv")
                assert main(["validate", "--data-dir", str(root)]) == 2, f"case {case}: {what}"
                write_csv(inputs.curated.tables[table], paths.curated / f"{table}.csv")
            continue
        try:
            analyse.compute(replace(inputs, curated=curated))
        except Exception as exc:  # noqa: BLE001 - any exception here is the failure this test looks for
            failures.append(f"case {case} ({table}.csv, {what}): {type(exc).__name__}: {exc}")
        outcome["analysed"] += 1
    capsys.readouterr()
    assert failures == [], "validates but the analysis raises:\n" + "\n".join(failures)
    # the property is only tested if both kinds of case occur often
    assert outcome["invalid"] >= CASES // 5 and outcome["analysed"] >= CASES // 5, outcome


def _arm_row(curated: pd.DataFrame, studies: pd.DataFrame) -> int:
    """The first outcome row of an included study with n, mean and SD in both arms."""
    included = set(studies.loc[studies["decision"] == "include", "study_id"])
    usable = (
        curated["study_id"].isin(included)
        & (curated["lower_is_better"] != "")
        & (curated[["dn_n", "dn_mean", "dn_sd", "ctrl_n", "ctrl_mean", "ctrl_sd"]] != "").all(axis=1)
    )
    return curated.index[usable][0]


EDGES = {  # values that validate (nothing out of order, nothing negative) but cannot be converted to an SD
    "zero-width CI of the mean": {"dn_sd": "", "dn_ci_low": "<mean>", "dn_ci_high": "<mean>"},
    "quartiles of zero width": {"dn_sd": "", "dn_mean": "", "dn_median": "3", "dn_q1": "3", "dn_q3": "3"},
    "one participant with quartiles": {
        "dn_sd": "",
        "dn_mean": "",
        "dn_n": "1",
        "dn_median": "3",
        "dn_q1": "2",
        "dn_q3": "4",
    },
}


@pytest.mark.parametrize("edge", list(EDGES))
def test_valid_edge_values_make_a_row_unusable_not_a_crash(edge):
    inputs = load_inputs(DataPaths(PROJECT / "data"))
    outcomes = inputs.curated.outcomes.copy()
    i = _arm_row(outcomes, inputs.curated.studies)
    for column, value in EDGES[edge].items():
        outcomes.at[i, column] = outcomes.at[i, "dn_mean"] if value == "<mean>" else value
    curated = Curated({**inputs.curated.tables, "outcomes": outcomes})
    assert table_problems(curated.tables) == []
    effects = analyse.compute(replace(inputs, curated=curated)).effects
    row = effects[
        (effects["study_id"] == outcomes.at[i, "study_id"]) & (effects["instrument"] == outcomes.at[i, "instrument"])
    ]
    assert (row["reason"].str.startswith("inconsistent numbers")).any()

"""The derived tables are rebuilt deterministically from the curated data, and the committed ones
are up to date (drift check: if this fails, run `python -m evidence analyse` and commit)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest

from evidence.config import DataPaths
from evidence.jobs.analyse import build_derived
from evidence.vocab import QuestionId
from tests.conftest import PROJECT

TABLES = (
    "effects",
    "questions",
    "forest",
    "sensitivity",
    "subgroups",
    "certainty",
    "summary_of_findings",
    "claim_verdicts",
    "claim_evidence",
    "withdrawn",
    "registry",
    "registry_summary",
)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    shutil.copytree(PROJECT / "data" / "curated", root / "curated", ignore=shutil.ignore_patterns("staging*"))
    paths = DataPaths(root)
    build_derived(paths)
    first = {p.relative_to(root): p.read_bytes() for p in sorted((root / "derived").rglob("*")) if p.is_file()}
    build_derived(paths)
    return root, first


def test_rebuild_is_byte_identical(rebuilt):
    root, first = rebuilt
    second = {p.relative_to(root): p.read_bytes() for p in sorted((root / "derived").rglob("*")) if p.is_file()}
    assert first == second


@pytest.mark.parametrize("table", TABLES)
def test_committed_derived_tables_are_current(rebuilt, table):
    root, _ = rebuilt
    fresh = (root / "derived" / f"{table}.csv").read_bytes()
    committed = (PROJECT / "data" / "derived" / f"{table}.csv").read_bytes()
    assert fresh == committed, f"data/derived/{table}.csv is out of date: run `python -m evidence analyse` and commit"


def test_every_claim_has_a_verdict_and_sign_convention_holds(rebuilt):
    root, _ = rebuilt
    from evidence.curation.claims import load_claims

    verdicts = pd.read_csv(root / "derived" / "claim_verdicts.csv", dtype=str, keep_default_na=False)
    assert sorted(verdicts["claim_id"]) == sorted(c.id for c in load_claims(root / "curated" / "claims.yaml"))
    effects = pd.read_csv(root / "derived" / "effects.csv", keep_default_na=False)
    outcomes = pd.read_csv(root / "curated" / "outcomes.csv", dtype=str, keep_default_na=False)
    higher_better = set(
        outcomes.loc[outcomes["lower_is_better"] == "false", "study_id"]
        + "|"
        + outcomes.loc[outcomes["lower_is_better"] == "false", "instrument"]
    )
    flipped = set(effects.loc[effects["oriented"], "study_id"] + "|" + effects.loc[effects["oriented"], "instrument"])
    assert flipped == higher_better and flipped  # exactly the higher-is-better rows are flipped
    sof = pd.read_csv(root / "derived" / "summary_of_findings.csv", dtype=str, keep_default_na=False)
    questions = pd.read_csv(root / "derived" / "questions.csv")
    assert set(sof["question_id"]) == set(questions.loc[questions["k"] > 0, "question_id"])


def test_forest_plot_per_question_with_data(rebuilt):
    root, _ = rebuilt
    questions = pd.read_csv(root / "derived" / "questions.csv")
    figures = {p.name for p in (root / "derived" / "figures").glob("forest_*.svg")}
    with_data = list(questions.loc[questions["k"] > 0, "question_id"])
    assert len(figures) == len(with_data) and with_data
    for question_id in with_data:
        svg = (root / "derived" / "figures" / QuestionId.parse(question_id).figure_name()).read_text()
        label = QuestionId.parse(question_id).label  # the plot's own title, in words
        assert label[1:] in svg and "favours dry needling" in svg


def test_a_rebuild_draws_only_the_figures_whose_inputs_changed(tmp_path, monkeypatch):
    """figure_inputs.csv records what each figure was drawn from: the same inputs draw nothing again,
    a changed row draws that question's figure only, and a deleted figure is drawn again."""
    from evidence.curation.inputs import load_inputs
    from evidence.jobs import analyse
    from evidence.report import plots

    paths = DataPaths(tmp_path / "data")
    shutil.copytree(PROJECT / "data", paths.root, ignore=shutil.ignore_patterns("report", "staging*"))
    derived = analyse.compute_derived(paths, load_inputs(paths))
    analyse.write_derived(derived, paths)
    drawn: list[str] = []
    real = plots.forest_plot
    monkeypatch.setattr(
        plots, "forest_plot", lambda q, s, path, **kw: drawn.append(path.name) or real(q, s, path, **kw)
    )
    analyse.write_derived(derived, paths)
    assert drawn == []
    first = derived.questions[derived.questions["k"] > 0].iloc[0]
    changed = derived.questions.copy()
    changed.loc[first.name, "estimate"] = float(first["estimate"]) - 0.5
    analyse.write_derived(replace(derived, questions=changed), paths)
    assert drawn == [QuestionId.parse(first["question_id"]).figure_name()]
    (paths.figures / drawn[0]).unlink()
    drawn.clear()
    analyse.write_derived(replace(derived, questions=changed), paths)
    assert drawn == [QuestionId.parse(first["question_id"]).figure_name()]

"""Rebuild every derived table and figure in ``data/derived/`` from the curated data.

``build_derived`` is deterministic: the same curated tables give byte-identical files (rows sorted,
floats written with 6 significant digits, SVGs without dates).

Files written (``data/derived/``)
---------------------------------
effects.csv              one row per outcome row of an included study, with its effect or why none
questions.csv            one row per evidence question: pooled / single study / no usable data
forest.csv               the studies of each question with yi, vi, CI and weight
sensitivity.csv          leave-one-out for questions with k >= 3
subgroups.csv            subgroup differences by comparator type
certainty.csv            GRADE: suggested and final certainty with the reasons per domain
summary_of_findings.csv  per condition: question, k, participants, effect, certainty, statement
claim_verdicts.csv       one row per registered claim
figures/forest_*.svg     a forest plot per question with data (and funnel_*.svg when k >= 10)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evidence import analysis, grade, plots, verdicts
from evidence.claims import load_claims
from evidence.config import DataPaths
from evidence.curation import Curated, load_curated
from evidence.searches import load_search_definitions
from evidence.tables import write_csv

SOF_COLUMNS = ("condition_id", "question_id", "outcome_domain", "comparator_type", "window", "k", "n_participants",
               "effect", "certainty", "suggested_certainty", "statement")


@dataclass(frozen=True)
class Derived:
    """The derived tables of one build."""

    effects: pd.DataFrame
    questions: pd.DataFrame
    forest: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    certainty: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame


def figure_name(question_id: str) -> str:
    return "forest_" + question_id.replace(":", "__") + ".svg"


def _effect_text(q: pd.Series) -> str:
    unit = "" if q["measure"] == "SMD" else f" on {q['scale']}"
    return f"{q['measure']} {q['estimate']:.2f} (95% CI {q['ci_low']:.2f} to {q['ci_high']:.2f}){unit}"


def summary_of_findings(questions: pd.DataFrame, certainty: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Summary-of-findings rows for every question with data, with the GRADE informative statement."""
    merged = questions[questions["k"] > 0].merge(certainty, on="question_id")
    rows = []
    for _, q in merged.iterrows():
        favours = q["ci_high"] < 0 or (q["estimate"] < 0 and not q["ci_low"] < 0 < q["ci_high"])
        cls = q["effect_class"] if isinstance(q["effect_class"], str) and q["effect_class"] else (
            "trivial" if q["ci_low"] < 0 < q["ci_high"] else "moderate")
        rows.append({
            "condition_id": q["condition_id"], "question_id": q["question_id"], "outcome_domain": q["outcome_domain"],
            "comparator_type": q["comparator_type"], "window": q["window"], "k": q["k"],
            "n_participants": q["n_participants"], "effect": _effect_text(q), "certainty": q["final"],
            "suggested_certainty": q["suggested"],
            "statement": grade.informative_statement(q["final"], cls, bool(favours), q["outcome_domain"],
                                                     labels.get(q["condition_id"], q["condition_id"]),
                                                     q["comparator_type"], q["window"]),
        })
    return pd.DataFrame(rows, columns=list(SOF_COLUMNS))


def validation_problems(paths: DataPaths) -> list[str]:
    """Every problem in the human-edited inputs: search definitions, curated tables, the claims
    register and its evidence ids, and the two override files (empty when all are valid)."""
    from evidence.claims import check_evidence_ids
    from evidence.config import ConfigError
    from evidence.curation import read_tables, validate

    problems = [str(p) for p in validate(paths.curated)]
    try:
        load_search_definitions(paths.searches)
    except ConfigError as exc:
        problems.append(str(exc))
    if problems:
        return problems
    try:
        claims = load_claims(paths.curated / "claims.yaml")
        grade.load_overrides(paths.curated)
        overrides = verdicts.load_verdict_overrides(paths.curated)
    except ConfigError as exc:
        return [str(exc)]
    problems = [f"claims.yaml: {p}" for p in check_evidence_ids(claims, Curated(read_tables(paths.curated)[0]))]
    known = {c.id for c in claims}
    return problems + [f"verdict_overrides.csv: unknown claim_id {cid!r}" for cid in overrides if cid not in known]


def compute(paths: DataPaths, curated: Curated | None = None) -> Derived:
    """Compute all derived tables in memory (no files written)."""
    curated = curated or load_curated(paths.curated)
    labels = {c.id: c.people for c in load_search_definitions(paths.searches).conditions}
    effects = analysis.effect_table(curated)
    questions_list = analysis.build_questions(effects)
    questions = analysis.question_table(questions_list, curated)
    forest = analysis.forest_table(questions_list)
    certainty = grade.certainty_table(questions, forest, curated, grade.load_overrides(paths.curated))
    summary = summary_of_findings(questions, certainty, labels)
    claims = load_claims(paths.curated / "claims.yaml")
    evidence = verdicts.Evidence(curated, questions, certainty, labels)
    verdict_rows = verdicts.verdict_table(claims, evidence, verdicts.load_verdict_overrides(paths.curated))
    return Derived(effects, questions, forest, analysis.sensitivity_table(questions_list),
                   analysis.subgroup_table(questions_list), certainty, summary, verdict_rows)


def write_derived(derived: Derived, paths: DataPaths) -> list[Path]:
    """Write the tables and forest plots; remove figures of questions that no longer have data."""
    out = paths.derived
    written = []
    for name in ("effects", "questions", "forest", "sensitivity", "subgroups", "certainty", "verdicts"):
        frame = getattr(derived, name)
        file = out / ("claim_verdicts.csv" if name == "verdicts" else f"{name}.csv")
        write_csv(frame, file, float_format="%.6g")
        written.append(file)
    sof = out / "summary_of_findings.csv"
    write_csv(derived.summary, sof, float_format="%.6g")
    written.append(sof)
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for _, q in derived.questions[derived.questions["k"] > 0].iterrows():
        studies = derived.forest[derived.forest["question_id"] == q["question_id"]]
        comparator = grade.COMPARATOR_PHRASES.get(q["comparator_type"], "control")
        path = plots.forest_plot(q, studies, figures / figure_name(q["question_id"]), comparator)
        wanted.add(path.name)
        written.append(path)
        if q["k"] >= 10:
            funnel = plots.funnel_plot(studies, q["estimate"], figures / figure_name(q["question_id"]).replace(
                "forest_", "funnel_"))
            wanted.add(funnel.name)
            written.append(funnel)
    for stale in [*figures.glob("forest_*.svg"), *figures.glob("funnel_*.svg")]:
        if stale.name not in wanted:
            stale.unlink()
    return written


def build_derived(paths: DataPaths) -> Derived:
    """Compute and write everything; return the tables."""
    derived = compute(paths)
    write_derived(derived, paths)
    return derived

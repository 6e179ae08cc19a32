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
claim_verdicts.csv       one row per registered claim, with the rule that decided its verdict
claim_evidence.csv       the evidence profile of each efficacy or outcome claim (``verdicts.PROFILE_COLUMNS``)
withdrawn.csv            studies taken out of the analysis (retracted, or not peer reviewed) and the
                         questions they had been used in
registry.csv             the registry cross-check: each registration (curated seed joined with the
                         fetched rows) with its matched studies and finding (``evidence.registry.crosscheck``)
registry_summary.csv     per condition: registered, completed, published, results posted, unreported,
                         ongoing; the unreported counts feed GRADE's publication-bias domain
change_log.csv           the dated change log, kept across builds (``evidence.report.changelog``): search
                         runs, verdicts that changed and why, studies withdrawn
figures/forest_*.svg     a forest plot per question with data (and funnel_*.svg when k >= 10)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from evidence.config import DataPaths
from evidence.curation.inputs import Inputs, load_inputs
from evidence.curation.schema import Curated
from evidence.pubmed.status import Snapshot
from evidence.pubmed.store import PubmedStore
from evidence.registry.crosscheck import crosscheck
from evidence.registry.store import FETCHED_COLUMNS, RegistryStore
from evidence.report import changelog, plots
from evidence.synthesis import analysis, grade, verdicts
from evidence.tables import as_written, read_csv, write_csv
from evidence.vocab import COMPARATOR_PHRASES, QuestionId, direction

FLOAT_FORMAT = "%.6g"
WITHDRAWN_COLUMNS = ("study_id", "condition_id", "reason", "used_in")
SOF_COLUMNS = (
    "condition_id",
    "question_id",
    "outcome_domain",
    "comparator_type",
    "window",
    "k",
    "n_participants",
    "effect",
    "certainty",
    "suggested_certainty",
    "statement",
)


@dataclass(frozen=True)
class Derived:
    """The derived tables of one build (field names are the names of ``config.DERIVED_TABLES``)."""

    effects: pd.DataFrame
    questions: pd.DataFrame
    forest: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    certainty: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    claim_evidence: pd.DataFrame
    withdrawn: pd.DataFrame
    registry: pd.DataFrame
    registry_summary: pd.DataFrame

    def as_written(self) -> Derived:
        """The same tables as their files hold them (every cell a string, floats to 6 significant digits)."""
        return Derived(**{f.name: as_written(getattr(self, f.name), FLOAT_FORMAT) for f in fields(self)})


def _effect_text(q: pd.Series) -> str:
    unit = "" if q["measure"] == "SMD" else f" on {q['scale']}"
    return f"{q['measure']} {q['estimate']:.2f} (95% CI {q['ci_low']:.2f} to {q['ci_high']:.2f}){unit}"


def summary_of_findings(questions: pd.DataFrame, certainty: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Summary-of-findings rows for every question with data, with the GRADE informative statement."""
    merged = questions[questions["k"] > 0].merge(certainty, on="question_id")
    rows = []
    for _, q in merged.iterrows():
        favours = direction(q["estimate"], q["ci_low"], q["ci_high"])
        cls = (
            q["effect_class"]
            if isinstance(q["effect_class"], str) and q["effect_class"]
            else ("trivial" if favours is None else "moderate")
        )
        rows.append(
            {
                "condition_id": q["condition_id"],
                "question_id": q["question_id"],
                "outcome_domain": q["outcome_domain"],
                "comparator_type": q["comparator_type"],
                "window": q["window"],
                "k": q["k"],
                "n_participants": q["n_participants"],
                "effect": _effect_text(q),
                "certainty": q["final"],
                "suggested_certainty": q["suggested"],
                "statement": grade.informative_statement(
                    q["final"],
                    cls,
                    bool(favours),
                    q["outcome_domain"],
                    labels.get(q["condition_id"], q["condition_id"]),
                    q["comparator_type"],
                    q["window"],
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(SOF_COLUMNS))


def withdrawn_studies(curated: Curated, retracted_pmids: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Studies the analysis leaves out whatever their decision (``WITHDRAWN_COLUMNS``): retracted (the
    ``retracted`` flag, or a stored PubMed record marked retracted) or not peer reviewed (a preprint or
    a conference abstract), with the evidence questions whose rows they had been in."""
    studies = curated.studies
    used = analysis.effect_table(curated)
    rows = []
    for r in studies.itertuples():
        why = [
            w
            for w, on in (
                ("retracted (studies.csv)", r.retracted == "true"),
                (f"retracted (PubMed record {r.pmid})", bool(r.pmid) and r.pmid in retracted_pmids),
                (
                    f"not peer reviewed ({r.publication_status.replace('_', ' ')})",
                    r.publication_status != "peer_reviewed",
                ),
            )
            if on
        ]
        if why:
            questions = sorted(set(used.loc[(used["study_id"] == r.study_id) & used["usable"], "question_id"]))
            rows.append(
                {
                    "study_id": r.study_id,
                    "condition_id": r.condition_id,
                    "reason": "; ".join(why),
                    "used_in": "; ".join(questions),
                }
            )
    return pd.DataFrame(rows, columns=list(WITHDRAWN_COLUMNS))


def analysable(curated: Curated, withdrawn: pd.DataFrame) -> Curated:
    """The curated tables without the withdrawn studies (their outcome and risk-of-bias rows then match no study)."""
    studies = curated.studies
    return Curated({**curated.tables, "studies": studies[~studies["study_id"].isin(withdrawn["study_id"])]})


def registry_counts(summary: pd.DataFrame) -> dict[str, grade.RegistryCounts]:
    """condition_id -> the registry's counts for GRADE, from the cross-check's summary."""
    return {
        r.condition_id: grade.RegistryCounts(
            int(r.registered), int(r.completed), tuple(filter(None, r.unreported_ids.split("; "))), r.snapshot_date
        )
        for r in summary.itertuples()
    }


def compute(
    inputs: Inputs, retracted_pmids: frozenset[str] = frozenset(), fetched_registrations: pd.DataFrame | None = None
) -> Derived:
    """Compute all derived tables in memory (no files written); ``retracted_pmids`` are the PMIDs whose
    stored PubMed record is retracted, ``fetched_registrations`` the rows of ``data/registry/registrations.csv``."""
    labels = inputs.condition_labels
    withdrawn = withdrawn_studies(inputs.curated, retracted_pmids)
    curated = analysable(inputs.curated, withdrawn)
    effects = analysis.effect_table(curated)
    questions_list = analysis.build_questions(effects)
    questions = analysis.question_table(questions_list, curated)
    forest = analysis.forest_table(questions_list)
    fetched = pd.DataFrame(columns=list(FETCHED_COLUMNS)) if fetched_registrations is None else fetched_registrations
    registry, registry_summary = crosscheck(inputs.curated.registrations, fetched, inputs.curated.studies)
    certainty = grade.certainty_table(questions, forest, curated, registry_counts(registry_summary))
    summary = summary_of_findings(questions, certainty, labels)
    evidence = verdicts.Evidence(curated, questions, certainty, labels)
    verdict_rows, profile = verdicts.verdict_tables(inputs.claims, evidence)
    return Derived(
        effects,
        questions,
        forest,
        analysis.sensitivity_table(questions_list),
        analysis.subgroup_table(questions_list),
        certainty,
        summary,
        verdict_rows,
        profile,
        withdrawn,
        registry,
        registry_summary,
    )


def write_derived(derived: Derived, paths: DataPaths) -> list[Path]:
    """Write the tables and forest plots; remove figures of questions that no longer have data."""
    written = []
    for f in fields(derived):
        file = paths.derived_table(f.name)
        write_csv(getattr(derived, f.name), file, float_format=FLOAT_FORMAT)
        written.append(file)
    figures = paths.figures
    figures.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for _, q in derived.questions[derived.questions["k"] > 0].iterrows():
        studies = derived.forest[derived.forest["question_id"] == q["question_id"]]
        qid = QuestionId.parse(q["question_id"])
        comparator = COMPARATOR_PHRASES.get(qid.comparator, "control")
        path = plots.forest_plot(q, studies, figures / qid.figure_name(), comparator)
        wanted.add(path.name)
        written.append(path)
        if q["k"] >= 10:
            funnel = plots.funnel_plot(studies, q["estimate"], figures / qid.figure_name("funnel"))
            wanted.add(funnel.name)
            written.append(funnel)
    for stale in [*figures.glob("forest_*.svg"), *figures.glob("funnel_*.svg")]:
        if stale.name not in wanted:
            stale.unlink()
    return written


def change_log_path(paths: DataPaths) -> Path:
    """The dated change log kept across builds."""
    return paths.derived / "change_log.csv"


def build_derived(paths: DataPaths, inputs: Inputs | None = None, today: str | None = None) -> Derived:
    """Compute and write everything (loading and validating the inputs unless given); return the tables.

    Before the tables are replaced, the change log is brought up to date from the previous build's verdicts
    and withdrawn studies (``today``: the date its new rows carry, by default today's UTC date)."""
    snapshot = Snapshot.read(PubmedStore(paths.pubmed))
    derived = compute(
        inputs or load_inputs(paths), frozenset(snapshot.retracted), RegistryStore(paths.registry).registrations()
    )
    previous = {
        name: read_csv(paths.derived_table(name)) if paths.derived_table(name).exists() else None
        for name in ("verdicts", "withdrawn")
    }
    log_file = change_log_path(paths)
    log = changelog.update_change_log(
        read_csv(log_file, changelog.COLUMNS) if log_file.exists() else None,
        today or datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        snapshot.log,
        as_written(derived.verdicts, FLOAT_FORMAT),
        as_written(derived.withdrawn, FLOAT_FORMAT),
        previous["verdicts"],
        previous["withdrawn"],
    )
    write_derived(derived, paths)
    write_csv(log, log_file, columns=changelog.COLUMNS)
    return derived

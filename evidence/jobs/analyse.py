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

All or nothing: ``build_derived`` (and the main job) write a run's outputs into a staging folder
beside ``data/derived/`` and put them in place together (``staged_derived``), so a run that fails
or is killed part-way leaves ``data/derived/`` as it was, and a reader never sees a mixture.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import partial
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
    drawn = _figure_inputs(figures)
    code = _plotting_code()
    inputs: dict[str, str] = {}

    def draw(name: str, key_parts: tuple, make: Callable[[Path], Path]) -> None:
        """Draw a figure unless the same inputs drew the file that is there (``FIGURE_INPUTS``)."""
        key = _figure_key(code, key_parts)
        path = figures / name
        if drawn.get(name) != key or not path.exists():
            make(path)
        inputs[name] = key
        written.append(path)

    for _, q in derived.questions[derived.questions["k"] > 0].iterrows():
        studies = derived.forest[derived.forest["question_id"] == q["question_id"]]
        qid = QuestionId.parse(q["question_id"])
        comparator = COMPARATOR_PHRASES.get(qid.comparator, "control")
        key_parts = ("forest", q.to_csv(), studies.to_csv(), comparator)
        draw(qid.figure_name(), key_parts, partial(plots.forest_plot, q, studies, comparator_label=comparator))
        if q["k"] >= 10:
            draw(
                qid.figure_name("funnel"),
                ("funnel", studies.to_csv(), q["estimate"]),
                partial(plots.funnel_plot, studies, q["estimate"]),
            )
    for stale in [*figures.glob("forest_*.svg"), *figures.glob("funnel_*.svg")]:
        if stale.name not in inputs:
            stale.unlink()
    manifest = pd.DataFrame(sorted(inputs.items()), columns=["figure", "inputs_sha256"])
    write_csv(manifest, figures / FIGURE_INPUTS)
    written.append(figures / FIGURE_INPUTS)
    return written


#: figures/figure_inputs.csv: each figure with the sha256 of what it was drawn from (the figure's
#: rows, the plotting module's source and matplotlib's version), so a rebuild draws only figures whose
#: inputs changed; same inputs, same bytes (the SVGs are deterministic), so nothing else changes
FIGURE_INPUTS = "figure_inputs.csv"


def _figure_inputs(figures: Path) -> dict[str, str]:
    table = figures / FIGURE_INPUTS
    if not table.exists():
        return {}
    frame = read_csv(table)
    return dict(zip(frame["figure"], frame["inputs_sha256"]))


def _plotting_code() -> bytes:
    """What draws the figures: the plotting module's source and matplotlib's version (read once a build)."""
    import matplotlib

    return Path(plots.__file__).read_bytes() + matplotlib.__version__.encode()


def _figure_key(code: bytes, parts: tuple) -> str:
    """sha256 of the plotting code (``_plotting_code``) and a figure's inputs."""
    digest = hashlib.sha256(code)
    for part in parts:
        digest.update(b"\0" + str(part).encode("utf-8"))
    return digest.hexdigest()


STAGING_PREFIX = ".derived-staging-"  # <data dir>/.derived-staging-XXXX/: one run's outputs, built aside


def _clear_staging(paths: DataPaths) -> None:
    """Remove the staging folders of runs that were killed. One killed between the two renames of
    its swap (``derived/`` moved aside, the new one not yet in) had built everything: its new folder
    is put in place first."""
    for staging in sorted(paths.root.glob(STAGING_PREFIX + "*")):
        if not paths.derived.exists() and (staging / "old").is_dir() and (staging / "derived").is_dir():
            (staging / "derived").rename(paths.derived)
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staged_derived(paths: DataPaths) -> Iterator[DataPaths]:
    """Build a run's outputs aside, then put them in place together.

    Yields ``paths`` whose ``derived`` is a copy of ``data/derived/`` in a fresh staging folder beside
    it (``<data dir>/.derived-staging-XXXX/derived``), for the run to update. When the block completes,
    the copy replaces ``data/derived/`` by two renames on one file system (the old folder moved aside,
    the new one moved in) and the old one is removed. When the block raises, or the process is killed,
    ``data/derived/`` is left untouched and the staging folder is removed (after a kill, by the next
    run). A reader sees the old outputs or the new ones, never a mixture (between the two renames, for
    an instant, no folder). Call it under the data directory's writer lock.
    """
    _clear_staging(paths)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=paths.root))
    built = staging / "derived"
    try:
        if paths.derived.exists():
            shutil.copytree(paths.derived, built, symlinks=True)
        else:
            built.mkdir()
        yield replace(paths, derived_dir=built)
        if paths.derived.exists():
            paths.derived.rename(staging / "old")
        built.rename(paths.derived)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def compute_derived(paths: DataPaths, inputs: Inputs | None = None) -> Derived:
    """``compute`` on the inputs of ``paths`` (loaded and validated unless given), with the retractions
    its PubMed store knows of."""
    retracted = frozenset(Snapshot.read(PubmedStore(paths.pubmed)).retracted)
    return compute(inputs or load_inputs(paths), retracted, RegistryStore(paths.registry).registrations())


def change_log_path(paths: DataPaths) -> Path:
    """The dated change log kept across builds."""
    return paths.derived / "change_log.csv"


def write_change_log(derived: Derived, previous: DataPaths, target: DataPaths, today: str | None = None) -> Path:
    """Bring the change log of ``previous`` (the outputs in place) up to date with this build
    (``evidence.report.changelog``: new search runs, verdicts that changed and why, studies withdrawn)
    and write it to ``target`` (the run's staging folder); ``today``: the date its new rows carry, by
    default today's UTC date. The same inputs add no row, so a re-run leaves it byte-identical."""
    snapshot = Snapshot.read(PubmedStore(previous.pubmed))
    before = {
        name: read_csv(previous.derived_table(name)) if previous.derived_table(name).exists() else None
        for name in ("verdicts", "withdrawn")
    }
    old = change_log_path(previous)
    log = changelog.update_change_log(
        read_csv(old, changelog.COLUMNS) if old.exists() else None,
        today or datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        snapshot.log,
        as_written(derived.verdicts, FLOAT_FORMAT),
        as_written(derived.withdrawn, FLOAT_FORMAT),
        before["verdicts"],
        before["withdrawn"],
    )
    path = change_log_path(target)
    write_csv(log, path, columns=changelog.COLUMNS)
    return path


def build_derived(paths: DataPaths, inputs: Inputs | None = None, today: str | None = None) -> Derived:
    """Compute and write everything, all or nothing (``staged_derived``), the change log included; return
    the tables."""
    derived = compute_derived(paths, inputs)
    with staged_derived(paths) as staged:
        write_derived(derived, staged)
        write_change_log(derived, paths, staged, today)
    return derived

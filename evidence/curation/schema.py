"""The curated evidence base in ``data/curated/``: its schema, loading and validation.

The schema is written down once, here (``TABLES``), as pandera schemas built from a compact
column list; ``data/curated/README.md`` is its column dictionary for people. Every load checks
the tables; ``validate`` reports each problem as file, row, column and what is wrong. A row is
named by its line in the file: the header is line 1, the first data row line 2 (as a spreadsheet
numbers its rows; a quoted cell that spans lines would shift the count, the tables have none).

Cross-table rules (beyond pandera's per-column checks): no duplicate keys; every study has a PMID
or a DOI; rows that share an id (a study under two conditions, or the same id in studies, reviews
and sources) are the same publication: the same PMID, DOI, first author and year (an id is how
outcome, risk-of-bias and coverage rows find their trial, so two trials under one id would mix);
outcome rows refer to known studies; a review's listed trials name a known review and, when given, a
known study; arm ns are not above n randomised; a timepoint's window matches its weeks; ids used by
other tables exist.

Value rules, so that data which validates cannot trip the analysis (``validate`` passing means
``analyse`` cannot crash): every number is finite; counts, SDs, SEs, scale maxima, MIDs and
denominators are positive; every interval is ordered (an arm's CI of the mean, an effect's CI,
a review's CI: low <= high) and contains its estimate; an arm's quantiles are ordered
(min <= q1 <= median <= q3 <= max); on a bounded scale (``scale_max``) a final value lies in
0..scale_max and a change in -scale_max..scale_max; p-values lie in (0, 1], I-squared and rates in
0..100, PEDro scores in 0..10; events are not more than their denominator; RR and OR are positive.

pandera is imported when a table is checked, not with this module: what only reads the schema's
names or the ``Curated`` type (a notebook kernel, the wording checker) does not load it.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from evidence.config import ConfigError
from evidence.tables import read_csv
from evidence.vocab import (
    ANY,
    COMPARATORS,
    CONDITIONS,
    DOMAINS,
    EXTRACTION_STATUS,
    INTERVENTION_SCOPES,
    LEVELS,
    NARRATIVE_RESULTS,
    POPULATION_SCOPES,
    PUBLICATION_STATUSES,
    REGISTRY_STATUSES,
    SUBCONDITIONS,
    TECHNIQUES,
    VERDICTS,
    WINDOW_LIMITS,
    WINDOWS,
    QuestionId,
    certainty_rank,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

SCHEMA_VERSION = "1"

RATINGS = ("low", "some_concerns", "high")


@dataclass(frozen=True)
class Column:
    """One column: its kind (text, int, number, bool, enum, date: YYYY-MM or YYYY-MM-DD, nct: an NCT
    id), whether a value is required, the allowed values of an enum."""

    name: str
    kind: str = "text"
    required: bool = False
    allowed: tuple[str, ...] = ()


def _c(name: str, kind: str = "text", required: bool = False, allowed: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, required, allowed)


ARM = ("n", "mean", "sd", "se", "ci_low", "ci_high", "median", "q1", "q3", "min", "max")


def _arm(prefix: str) -> list[Column]:
    return [_c(f"{prefix}_{stat}", "int" if stat == "n" else "number") for stat in ARM]


CITATION = [_c("pmid", "int"), _c("doi"), _c("first_author"), _c("year", "int"), _c("title"), _c("journal")]

TABLES: dict[str, tuple[tuple[str, ...], list[Column]]] = {
    "studies": (
        ("study_id", "condition_id"),
        [
            _c("study_id", required=True),
            _c("condition_id", "enum", True, CONDITIONS),
            *CITATION,
            _c(
                "design",
                "enum",
                True,
                ("parallel_rct", "crossover_rct", "pilot_rct", "cluster_rct", "quasi_rct", "non_randomised"),
            ),
            _c("n_randomised", "int"),
            _c("comparator_type", "enum", True, COMPARATORS),
            _c("intervention"),
            _c("comparator"),
            _c("decision", "enum", True, ("include", "exclude")),
            _c("exclusion_reason"),
            _c("registry_id"),
            _c("overlap_note"),
            _c("source_location"),
            _c("note"),
            _c("subcondition", "enum", False, tuple(SUBCONDITIONS)),
            _c("technique", "enum", True, TECHNIQUES),
            _c("co_intervention"),
            _c("publication_status", "enum", True, PUBLICATION_STATUSES),
            _c("retracted", "bool", True),
        ],
    ),
    "outcomes": (
        ("study_id", "comparator_type", "outcome_domain", "instrument", "timepoint_weeks"),
        [
            _c("study_id", required=True),
            _c("comparator_type", "enum", True, COMPARATORS),
            _c("outcome_domain", "enum", True, DOMAINS),
            _c("instrument", required=True),
            _c("scale_max", "number"),
            _c("unit"),
            _c("lower_is_better", "bool"),
            _c("timepoint_label"),
            _c("timepoint_weeks", "number"),
            _c("window", "enum", True, WINDOWS),
            _c("value_type", "enum", False, ("final", "change")),
            *_arm("dn"),
            *_arm("ctrl"),
            _c("effect_measure", "enum", False, ("MD", "SMD")),
            _c("effect", "number"),
            _c("effect_ci_low", "number"),
            _c("effect_ci_high", "number"),
            _c("p_value", "number"),
            _c("p_text"),
            _c("source_location", required=True),
            _c("note"),
        ],
    ),
    "risk_of_bias": (
        ("study_id",),
        [
            _c("study_id", required=True),
            _c("tool", "enum", True, ("RoB2", "RoB1", "PEDro")),
            _c("overall", "enum", False, RATINGS),
            *[
                _c(d, "enum", False, RATINGS)
                for d in ("d1_randomisation", "d2_deviations", "d3_missing_data", "d4_measurement", "d5_reporting")
            ],
            _c("pedro_score", "int"),
            _c("source", required=True),
            _c("source_location"),
            _c("note"),
        ],
    ),
    "reviews": (
        ("review_id",),
        [
            _c("review_id", required=True),
            *CITATION,
            _c(
                "design",
                "enum",
                True,
                ("systematic_review", "meta_analysis", "network_meta_analysis", "umbrella_review"),
            ),
            _c("search_date"),
            _c("note"),
            _c("mostly_regional_trials", "bool"),
        ],
    ),
    # the full author list of a study or review, read from a page that shows it (the tables above keep the first
    # author only); "; "-separated, each "LastName, Initials", in the publication's order
    "authors": (
        ("id",),
        [
            _c("id", required=True),
            _c("authors", required=True),
            _c("source_location", required=True),
        ],
    ),
    # the trials a review includes, as the review lists them (its table of included studies or its reference
    # numbers, named in source_location with the review's PMID, DOI or PMC address); study_id is ours when we
    # hold the trial, else empty. A review appears here only when a list of its included trials was read.
    "review_trials": (
        ("review_id", "trial"),
        [
            _c("review_id", required=True),
            _c("trial", required=True),
            _c("study_id"),
            _c("source_location", required=True),
        ],
    ),
    "review_findings": (
        ("review_id", "condition_id", "comparator_type", "outcome_domain", "window"),
        [
            _c("review_id", required=True),
            _c("condition_id", "enum", True, CONDITIONS),
            _c("comparator_type", "enum", True, (*COMPARATORS, ANY)),
            _c("outcome_domain", "enum", True, DOMAINS),
            _c("window", "enum", True, (*WINDOWS, ANY)),
            _c("n_trials", "int"),
            _c("n_participants", "int"),
            _c("effect_measure", "enum", False, ("MD", "SMD", "RR", "OR")),
            _c("effect", "number"),
            _c("ci_low", "number"),
            _c("ci_high", "number"),
            _c("scale"),
            _c("lower_is_better", "bool"),
            _c("i2", "number"),
            _c("certainty", "enum", False, LEVELS[::-1]),
            _c("conclusion", required=True),
            _c("source_location", required=True),
            _c("note"),
            _c("certainty_high", "enum", False, LEVELS[::-1]),
            _c("intervention_scope", "enum", True, INTERVENTION_SCOPES),
            _c("population_scope", "enum", True, POPULATION_SCOPES),
            _c("subcondition", "enum", False, tuple(SUBCONDITIONS)),
            _c("narrative_result", "enum", False, NARRATIVE_RESULTS),
            _c("trials_risk_of_bias", "enum", False, RATINGS),
        ],
    ),
    "sources": (
        ("source_id",),
        [
            _c("source_id", required=True),
            *CITATION,
            _c(
                "kind",
                "enum",
                True,
                (
                    "prospective_survey",
                    "case_series",
                    "case_report",
                    "systematic_review",
                    "rct",
                    "observational",
                    "animal",
                    "measurement_study",
                    "guideline",
                    "narrative_review",
                ),
            ),
            _c("note"),
        ],
    ),
    "safety": (
        ("safety_id",),
        [
            _c("safety_id", required=True),
            _c("source_id", required=True),
            _c(
                "event_type",
                "enum",
                True,
                (
                    "any_mild",
                    "any_significant",
                    "serious",
                    "soreness",
                    "bruising",
                    "bleeding",
                    "fatigue",
                    "dizziness_fainting",
                    "infection",
                    "nerve_injury",
                    "pneumothorax",
                    "pain_during",
                    "other",
                ),
            ),
            _c("severity", "enum", True, ("mild", "significant", "serious")),
            _c("events", "int"),
            _c("denominator", "int"),
            _c(
                "denominator_unit", "enum", True, ("treatments", "patients", "sessions", "needle_insertions", "reports")
            ),
            _c("rate_percent", "number"),
            _c("source_location", required=True),
            _c("note"),
            _c("reported_by", "enum", False, ("clinician", "patient")),
            _c("resolved_within_hours", "number"),
        ],
    ),
    "mechanisms": (
        ("mechanism_id",),
        [
            _c("mechanism_id", required=True),
            _c(
                "topic",
                "enum",
                True,
                (
                    "blood_flow",
                    "oxygenation",
                    "lactic_acid",
                    "metabolic_waste",
                    "endorphins",
                    "twitch_response",
                    "nervous_system",
                    "inflammation",
                    "fascia",
                    "muscle_activation",
                    "healing",
                    "trigger_point",
                ),
            ),
            _c("source_id", required=True),
            _c("population", "enum", True, ("patients", "healthy_humans", "animals", "mixed")),
            _c("design"),
            _c("direction", "enum", True, ("supports", "contradicts", "mixed", "no_effect", "not_tested")),
            _c("finding", required=True),
            _c("source_location", required=True),
            _c("note"),
        ],
    ),
    "coverage": (
        ("condition_id",),
        [
            _c("condition_id", "enum", True, CONDITIONS),
            _c("status", "enum", True, ("trials_included", "no_trials_found", "excluded_only")),
            _c("searched"),
            _c("note"),
        ],
    ),
    "mids": (
        ("instrument", "scale_max"),
        [
            _c("instrument", required=True),
            _c("scale_max", "number"),
            _c("mid", "number", True),
            _c("population"),
            _c("source_id", required=True),
            _c("source_location", required=True),
            _c("verified", "bool", True),
            _c("note"),
        ],
    ),
    # per trial and comparison: what the trial-level extraction read and, where numbers are missing, why
    "extraction_coverage": (
        ("study_id", "comparator_type"),
        [
            _c("study_id", required=True),
            _c("condition_id", "enum", True, CONDITIONS),
            _c("comparator_type", "enum", True, COMPARATORS),
            _c("status", "enum", True, tuple(EXTRACTION_STATUS)),
            _c("what_was_searched", required=True),
            _c("note"),
        ],
    ),
    # the patient documents whose claims claims.yaml registers (by file name), with human titles
    "documents": (
        ("document",),
        [
            _c("document", required=True),
            _c("title", required=True),
            _c("title_kind", "enum", True, ("as_published", "our_description")),
            _c("publisher"),
            _c("published"),
            _c("url"),
            _c("note"),
        ],
    ),
    # judgements that the data cannot make: a final GRADE certainty or a claim verdict, always with a reason
    # trial registrations read by hand from public registry pages (the seed a networked
    # ``evidence registry`` run extends in data/registry/; evidence.registry)
    "registrations": (
        ("condition_id", "nct_id"),
        [
            _c("nct_id", "nct", True),
            _c("condition_id", "enum", True, CONDITIONS),
            _c("origin", "enum", True, ("curated",)),
            _c("title"),
            _c("conditions"),
            _c("overall_status", "enum", False, REGISTRY_STATUSES),
            _c("start_date", "date"),
            _c("completion_date", "date"),
            _c("completion_kind"),
            _c("enrollment", "int"),
            _c("enrollment_type", "enum", False, ("ACTUAL", "ESTIMATED")),
            _c("primary_outcomes"),
            _c("has_results", "bool"),
            _c("linked_pmids"),
            _c("primary_outcome_note"),
            _c("source_url", required=True),
            _c("read_date", "date", True),
            _c("notes"),
        ],
    ),
    "grade_overrides": (
        ("question_id",),
        [
            _c("question_id", required=True),
            _c("certainty", "enum", True, LEVELS),
            _c("reason", required=True),
            _c("source", required=True),
        ],
    ),
    "verdict_overrides": (
        ("claim_id",),
        [
            _c("claim_id", required=True),
            _c("verdict", "enum", True, VERDICTS),
            _c("certainty", "enum", False, LEVELS),
            _c("allowed_wording"),
            _c("reason", required=True),
            _c("source", required=True),
        ],
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a human-edited input: the file, the row as the file's line number (the
    header is line 1, the first data row line 2; None for the whole file), the column (None for
    the whole row or file) and what is wrong."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = (
            self.file
            + (f", row {self.row}" if self.row is not None else "")
            + (f", column {self.column}" if self.column else "")
        )
        return f"{where}: {self.message}"


class CurationError(ConfigError):
    """The curated tables do not validate; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the curated data:\n{shown}{more}")


def line(index: int) -> int:
    """The file line of the data row at 0-based position ``index`` (the header is line 1)."""
    return int(index) + 2


def _rows(frame: pd.DataFrame) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, row as a dict) for each row of ``frame``: ``iterrows`` without a Series built per row."""
    return zip(frame.index, frame.to_dict("records"))


def _is_number(s: pd.Series) -> pd.Series:
    """Empty, or a finite number ("nan" and "inf" are not numbers here)."""
    values = pd.to_numeric(s, errors="coerce")
    return (s == "") | (values.notna() & values.abs().lt(float("inf")))


def _is_int(s: pd.Series) -> pd.Series:
    return (s == "") | s.str.fullmatch(r"\d+")


def _check(column: Column) -> list[pa.Check]:
    import pandera.pandas as pa

    checks = []
    if column.required:
        checks.append(pa.Check(lambda s: s.str.strip() != "", element_wise=False, error="a value is required"))
    if column.kind == "int":
        checks.append(pa.Check(_is_int, error="must be a whole number"))
    elif column.kind == "number":
        checks.append(pa.Check(_is_number, error="must be a (finite) number"))
    elif column.kind == "bool":
        checks.append(pa.Check(lambda s: s.isin(["", "true", "false"]), error="must be true or false"))
    elif column.kind == "date":
        checks.append(
            pa.Check(
                lambda s: (s == "") | s.str.fullmatch(r"\d{4}-\d{2}(-\d{2})?"), error="must be YYYY-MM or YYYY-MM-DD"
            )
        )
    elif column.kind == "nct":
        checks.append(
            pa.Check(lambda s: (s == "") | s.str.fullmatch(r"NCT\d{8}"), error="must be an NCT id (NCT and 8 digits)")
        )
    elif column.kind == "enum":
        allowed = ["", *column.allowed]
        checks.append(pa.Check(lambda s: s.isin(allowed), error="must be one of: " + ", ".join(column.allowed)))
    return checks


@functools.cache
def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of one table (all cells are read as strings, then checked)."""
    import pandera.pandas as pa

    _, columns = TABLES[table]
    return pa.DataFrameSchema({c.name: pa.Column(str, checks=_check(c)) for c in columns}, strict=True, ordered=True)


def _pandera_problems(table: str, frame: pd.DataFrame) -> list[Problem]:
    import pandera.pandas as pa

    file = f"{table}.csv"
    try:
        schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for case in exc.failure_cases.itertuples():
            index = case.index
            row = line(index) if index is not None and pd.notna(index) else None
            column = case.column if isinstance(case.column, str) else None
            check = str(case.check)
            message = check if row is not None else f"{check}: {case.failure_case}"
            if row is not None and column and check not in ("a value is required",):
                message = f"{check} (found {case.failure_case!r})"
            problems.append(Problem(file, row, column, message))
        return problems
    return []


@dataclass(frozen=True)
class Curated:
    """The curated tables as loaded (strings); ``number(table, column)`` converts on use."""

    tables: dict[str, pd.DataFrame]

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None


def number(series: pd.Series) -> pd.Series:
    """A column of numeric strings as floats (NaN for empty)."""
    return pd.to_numeric(series, errors="coerce")


def cell_number(value: object) -> float:
    """One cell as a float (NaN when empty or not a number)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _duplicate_keys(table: str, frame: pd.DataFrame) -> list[Problem]:
    key = list(TABLES[table][0])
    dup = frame.duplicated(key, keep="first")
    return [
        Problem(f"{table}.csv", line(i), ", ".join(key), "duplicate key " + " / ".join(frame.loc[i, key]))
        for i in frame.index[dup]
    ]


def _unknown_refs(table: str, frame: pd.DataFrame, column: str, known: set[str], what: str) -> list[Problem]:
    return [
        Problem(f"{table}.csv", line(i), column, f"unknown {what} {v!r}")
        for i, v in frame[column].items()
        if v and v not in known
    ]


# the tables whose rows carry a citation, and the column of each that holds the id
CITED_IDS = (("studies", "study_id"), ("reviews", "review_id"), ("sources", "source_id"))
IDENTITY = ("pmid", "doi", "first_author", "year")  # what makes two rows one publication


def _shared_id_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """Rows sharing an id (within or across ``CITED_IDS``) cite the same publication (``IDENTITY``;
    DOIs compared without case); each other row is compared with the first, and the problem names both."""
    first: dict[str, tuple[str, int, dict[str, str]]] = {}
    problems = []
    for table, column in CITED_IDS:
        frame = t[table]
        for i, r in _rows(frame):
            if not r[column]:
                continue
            ident = {c: r[c].strip().lower() if c == "doi" else r[c].strip() for c in IDENTITY}
            if r[column] not in first:
                first[r[column]] = (f"{table}.csv", line(i), ident)
                continue
            file, row, other = first[r[column]]
            differ = [c for c in IDENTITY if ident[c] != other[c]]
            if differ:
                problems.append(
                    Problem(
                        f"{table}.csv",
                        line(i),
                        column,
                        f"id {r[column]!r} is also used by {file}, row {row}, for another publication "
                        f"({'; '.join(f'{c} {ident[c]!r} here, {other[c]!r} there' for c in differ)}): rows sharing "
                        "an id must be the same trial (same PMID/DOI, first author and year); give one a new id",
                    )
                )
    return problems


def _cross_table_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = _shared_id_problems(t)
    for table in ("studies", "reviews", "sources"):
        frame = t[table]
        for i in frame.index[(frame["pmid"] == "") & (frame["doi"] == "")]:
            problems.append(Problem(f"{table}.csv", line(i), "pmid", "needs a PMID or a DOI"))
    studies = t["studies"]
    for i in studies.index[(studies["decision"] == "exclude") & (studies["exclusion_reason"] == "")]:
        problems.append(Problem("studies.csv", line(i), "exclusion_reason", "an excluded study needs a reason"))
    study_ids, review_ids = set(studies["study_id"]), set(t["reviews"]["review_id"])
    source_ids = set(t["sources"]["source_id"]) | study_ids | review_ids
    problems += _unknown_refs("outcomes", t["outcomes"], "study_id", study_ids, "study_id")
    problems += _unknown_refs("risk_of_bias", t["risk_of_bias"], "study_id", study_ids, "study_id")
    problems += _unknown_refs("review_findings", t["review_findings"], "review_id", review_ids, "review_id")
    problems += _unknown_refs("safety", t["safety"], "source_id", source_ids, "source_id")
    problems += _unknown_refs("mechanisms", t["mechanisms"], "source_id", source_ids, "source_id")
    problems += _unknown_refs("mids", t["mids"], "source_id", source_ids, "source_id")
    rob = t["risk_of_bias"]
    problems += _unknown_refs(
        "risk_of_bias",
        rob,
        "source",
        review_ids | {"our_reading", "pedro_database"},
        "source (use our_reading, pedro_database or a review_id)",
    )
    problems += _author_problems(t["authors"], t)
    problems += _unknown_refs("review_trials", t["review_trials"], "review_id", review_ids, "review_id")
    problems += _unknown_refs("review_trials", t["review_trials"], "study_id", study_ids, "study_id")
    problems += _outcome_problems(t["outcomes"], studies)
    problems += _coverage_problems(t["coverage"], studies)
    problems += _extraction_coverage_problems(t["extraction_coverage"], studies)
    problems += _value_problems(t)
    problems += _question_id_problems(t["grade_overrides"])
    for table in ("grade_overrides", "verdict_overrides"):
        problems += _override_source_problems(table, t[table], source_ids, studies)
    problems += _applicability_problems(t["studies"], t["review_findings"])
    return problems


def surname(author: str) -> str:
    """The last name of an author written "LastName, Initials" or, as ``first_author`` is, "LastName AB", without
    case or accents (indexes such as PEDro drop them: "Pecos-Martin" is "Pecos-Martín")."""
    last = author.split(",")[0] if "," in author else re.sub(r"\s+[A-Z]{1,4}$", "", author.strip())
    plain = "".join(c for c in unicodedata.normalize("NFKD", last) if not unicodedata.combining(c))
    return " ".join(plain.split()).casefold()


def _author_problems(authors: pd.DataFrame, t: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each author list belongs to a study or review we hold and starts with its first author."""
    first = {
        r[column]: r["first_author"]
        for table, column in (("studies", "study_id"), ("reviews", "review_id"))
        for r in t[table].to_dict("records")
    }
    problems = _unknown_refs("authors", authors, "id", set(first), "id (not a study_id or review_id)")
    for i, r in authors.iterrows():
        listed = r["authors"].split(";")[0]
        if r["id"] in first and first[r["id"]] and surname(listed) != surname(first[r["id"]]):
            problems.append(
                Problem(
                    "authors.csv",
                    line(i),
                    "authors",
                    f"starts with {listed.strip()!r}, but the first author of {r['id']} is {first[r['id']]!r}",
                )
            )
    return problems


def _override_source_problems(table: str, frame: pd.DataFrame, known: set[str], studies: pd.DataFrame) -> list[Problem]:
    """An override's ``source`` names ids of the curated tables ("; "-separated: studies, reviews,
    sources, so each has a PMID or DOI), and not only conference abstracts: an abstract alone never
    decides a judgement."""
    abstracts = set(studies.loc[studies["publication_status"] == "conference_abstract", "study_id"])
    problems = []
    for i, cell in frame["source"].items():
        ids = [s.strip() for s in cell.split(";") if s.strip()]
        unknown = [s for s in ids if s not in known]
        if unknown:
            problems.append(
                Problem(
                    f"{table}.csv",
                    line(i),
                    "source",
                    f"unknown source id(s) {', '.join(map(repr, unknown))} (use a study, review or source id)",
                )
            )
        elif ids and set(ids) <= abstracts:
            problems.append(
                Problem(f"{table}.csv", line(i), "source", "a conference abstract alone cannot decide an override")
            )
    return problems


def _applicability_problems(studies: pd.DataFrame, findings: pd.DataFrame) -> list[Problem]:
    """A stated rating range runs from ``certainty`` up to ``certainty_high``; a sub-condition belongs
    to the row's condition."""
    problems = []
    for i, r in _rows(findings):
        if r["certainty_high"] and not r["certainty"]:
            problems.append(
                Problem(
                    "review_findings.csv", line(i), "certainty", "a rating range needs its lower level in certainty"
                )
            )
        elif r["certainty_high"] and certainty_rank(r["certainty_high"]) < certainty_rank(r["certainty"]):
            problems.append(
                Problem(
                    "review_findings.csv",
                    line(i),
                    "certainty_high",
                    f"{r['certainty_high']!r} is below the lower level {r['certainty']!r}",
                )
            )
    for table, frame in (("studies", studies), ("review_findings", findings)):
        for i, r in _rows(frame):
            if r["subcondition"] in SUBCONDITIONS and SUBCONDITIONS[r["subcondition"]] != r["condition_id"]:
                problems.append(
                    Problem(
                        f"{table}.csv",
                        line(i),
                        "subcondition",
                        f"{r['subcondition']!r} belongs to {SUBCONDITIONS[r['subcondition']]!r}, "
                        f"not {r['condition_id']!r}",
                    )
                )
    return problems


def _question_id_problems(overrides: pd.DataFrame) -> list[Problem]:
    """Every overridden question id is condition:domain:comparator:window with known values."""
    problems = []
    for i, text in overrides["question_id"].items():
        try:
            qid = QuestionId.parse(text)
        except ValueError as exc:
            problems.append(Problem("grade_overrides.csv", line(i), "question_id", str(exc)))
            continue
        unknown = [v for v, known in zip(qid, (CONDITIONS, DOMAINS, COMPARATORS, WINDOWS)) if v not in known]
        if unknown:
            problems.append(
                Problem(
                    "grade_overrides.csv",
                    line(i),
                    "question_id",
                    f"unknown value(s) {', '.join(map(repr, unknown))} in {text!r}",
                )
            )
    return problems


def _coverage_problems(coverage: pd.DataFrame, studies: pd.DataFrame) -> list[Problem]:
    """Every condition has a coverage row, and its status agrees with studies.csv."""
    included = set(studies.loc[studies["decision"] == "include", "condition_id"])
    problems = [
        Problem("coverage.csv", None, "condition_id", f"no row for condition {c!r}")
        for c in CONDITIONS
        if c != "all_dry_needling" and c not in set(coverage["condition_id"])
    ]
    for i, r in _rows(coverage):
        has = r["condition_id"] in included
        if (r["status"] == "trials_included") != has and r["status"]:
            problems.append(
                Problem(
                    "coverage.csv",
                    line(i),
                    "status",
                    f"{r['status']!r} disagrees with studies.csv, "
                    f"which {'has' if has else 'has no'} included study for {r['condition_id']}",
                )
            )
    return problems


def _extraction_coverage_problems(coverage: pd.DataFrame, studies: pd.DataFrame) -> list[Problem]:
    """Every trial in the extraction coverage record is a study of that condition in studies.csv."""
    known = set(zip(studies["study_id"], studies["condition_id"]))
    return [
        Problem(
            "extraction_coverage.csv",
            line(i),
            "study_id",
            f"no study {r['study_id']!r} with condition {r['condition_id']!r} in studies.csv",
        )
        for i, r in _rows(coverage)
        if r["study_id"] and (r["study_id"], r["condition_id"]) not in known
    ]


INF = float("inf")
# (table, column, lowest, highest, whether the lowest value itself is allowed)
BOUNDS = (
    *[("outcomes", f"{arm}_{stat}", 0, INF, False) for arm in ("dn", "ctrl") for stat in ("n", "sd", "se")],
    ("outcomes", "scale_max", 0, INF, False),
    ("outcomes", "timepoint_weeks", 0, INF, True),
    ("outcomes", "p_value", 0, 1, False),
    ("studies", "n_randomised", 0, INF, False),
    ("review_findings", "n_trials", 0, INF, False),
    ("review_findings", "n_participants", 0, INF, False),
    ("review_findings", "i2", 0, 100, True),
    ("risk_of_bias", "pedro_score", 0, 10, True),
    ("safety", "denominator", 0, INF, False),
    ("safety", "rate_percent", 0, 100, True),
    ("safety", "resolved_within_hours", 0, INF, False),
    ("mids", "scale_max", 0, INF, False),
    ("mids", "mid", 0, INF, False),
)
# (table, estimate, CI low, CI high): the CI is ordered and contains its estimate
INTERVALS = (
    ("outcomes", "effect", "effect_ci_low", "effect_ci_high"),
    ("outcomes", "dn_mean", "dn_ci_low", "dn_ci_high"),
    ("outcomes", "ctrl_mean", "ctrl_ci_low", "ctrl_ci_high"),
    ("review_findings", "effect", "ci_low", "ci_high"),
)
QUANTILES = ("min", "q1", "median", "q3", "max")
# arm statistics that are values on the outcome's scale (not spreads)
ON_SCALE = ("mean", "ci_low", "ci_high", *QUANTILES)


def _bound_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each number of ``BOUNDS`` lies in its range."""
    problems = []
    for table, column, low, high, low_allowed in BOUNDS:
        values = number(t[table][column])
        bad = values.notna() & ((values < low) | (values > high) | ((values == low) & (not low_allowed)))
        rule = f"{'at least' if low_allowed else 'greater than'} {low:g}" + (
            "" if high == INF else f" and at most {high:g}"
        )
        problems += [
            Problem(f"{table}.csv", line(i), column, f"must be {rule} (found {values[i]:g})")
            for i in t[table].index[bad]
        ]
    return problems


def _ci_problems(table: str, frame: pd.DataFrame, est: str, low: str, high: str) -> list[Problem]:
    """A CI has both ends, its low end is not above its high end, and it contains its estimate."""
    e, lo, hi = number(frame[est]), number(frame[low]), number(frame[high])
    problems = [
        Problem(f"{table}.csv", line(i), low, f"the CI is out of order: low {lo[i]:g} is above high {hi[i]:g}")
        for i in frame.index[lo > hi]
    ]
    bad = e.notna() & (lo <= hi) & ((lo > e) | (hi < e))
    problems += [
        Problem(f"{table}.csv", line(i), est, f"the CI {lo[i]:g} to {hi[i]:g} does not contain the estimate {e[i]:g}")
        for i in frame.index[bad]
    ]
    one_sided = lo.notna() != hi.notna()
    problems += [
        Problem(f"{table}.csv", line(i), low, "a CI needs both its low and its high end")
        for i in frame.index[one_sided]
    ]
    return problems


def _quantile_problems(outcomes: pd.DataFrame, arm: str) -> list[Problem]:
    """An arm's quantiles that are given are in order: min <= q1 <= median <= q3 <= max."""
    values = pd.DataFrame({q: number(outcomes[f"{arm}_{q}"]) for q in QUANTILES})
    problems = []
    for i, row in zip(values.index, values.to_numpy()):
        given = [(q, x) for q, x in zip(QUANTILES, row) if not math.isnan(x)]
        for (a, x), (b, y) in zip(given, given[1:]):
            if x > y:
                problems.append(
                    Problem(
                        "outcomes.csv",
                        line(i),
                        f"{arm}_{b}",
                        f"{arm}_{b} {y:g} is below {arm}_{a} {x:g} (min <= q1 <= median <= q3 <= max)",
                    )
                )
                break
    return problems


def _scale_problems(outcomes: pd.DataFrame) -> list[Problem]:
    """On a bounded scale (0..scale_max) a final value lies in 0..scale_max, a change (and an MD)
    in -scale_max..scale_max."""
    top = number(outcomes["scale_max"])
    change = outcomes["value_type"] == "change"
    problems = []
    columns = [f"{arm}_{stat}" for arm in ("dn", "ctrl") for stat in ON_SCALE]
    for column in columns + ["effect", "effect_ci_low", "effect_ci_high"]:
        values = number(outcomes[column])
        difference = column.startswith("effect")
        if difference:  # only an MD is on the scale (an SMD is not)
            values = values.where(outcomes["effect_measure"] == "MD")
        low = -top if difference else (-top).where(change, 0.0)
        bad = top.notna() & values.notna() & ((values < low) | (values > top))
        problems += [
            Problem("outcomes.csv", line(i), column, f"{values[i]:g} lies outside the scale ({low[i]:g} to {top[i]:g})")
            for i in outcomes.index[bad]
        ]
    return problems


def _value_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """The value rules of the module docstring (ranges, intervals, quantiles, scales, counts)."""
    problems = _bound_problems(t)
    for table, est, low, high in INTERVALS:
        problems += _ci_problems(table, t[table], est, low, high)
    outcomes = t["outcomes"]
    for arm in ("dn", "ctrl"):
        problems += _quantile_problems(outcomes, arm)
    problems += _scale_problems(outcomes)
    findings = t["review_findings"]
    ratio = findings["effect_measure"].isin(["RR", "OR"])
    for column in ("effect", "ci_low", "ci_high"):
        values = number(findings[column])
        problems += [
            Problem(
                "review_findings.csv", line(i), column, f"a ratio (RR, OR) must be greater than 0 (found {values[i]:g})"
            )
            for i in findings.index[ratio & (values <= 0)]
        ]
    safety = t["safety"]
    events, denominator = number(safety["events"]), number(safety["denominator"])
    problems += [
        Problem(
            "safety.csv", line(i), "events", f"{events[i]:g} events are more than the denominator {denominator[i]:g}"
        )
        for i in safety.index[events > denominator]
    ]
    return problems


def _outcome_problems(outcomes: pd.DataFrame, studies: pd.DataFrame) -> list[Problem]:
    problems = []
    n_rand = number(studies.drop_duplicates("study_id").set_index("study_id")["n_randomised"])
    total = number(outcomes["dn_n"]).fillna(0) + number(outcomes["ctrl_n"]).fillna(0)
    limit = outcomes["study_id"].map(n_rand)
    for i in outcomes.index[limit.notna() & (total > limit)]:
        problems.append(
            Problem(
                "outcomes.csv",
                line(i),
                "dn_n",
                f"arm ns add up to {total[i]:g}, more than the {limit[i]:g} randomised in studies.csv",
            )
        )
    weeks = number(outcomes["timepoint_weeks"])
    for i, window in outcomes["window"].items():
        if window in WINDOW_LIMITS and pd.notna(weeks[i]):
            low, high = WINDOW_LIMITS[window]
            inside = (weeks[i] <= high) and (weeks[i] > low or (window == "immediate" and weeks[i] >= 0))
            if not inside:
                problems.append(
                    Problem(
                        "outcomes.csv",
                        line(i),
                        "window",
                        f"{window!r} does not match timepoint_weeks {weeks[i]:g} "
                        "(immediate <= 1, short <= 13, mid <= 26, long > 26 weeks)",
                    )
                )
    return problems


def _undecodable(path: Path) -> Problem | None:
    """A problem naming the line and byte where ``path`` stops being UTF-8 (as a spreadsheet saving
    in its own encoding, e.g. Windows-1252, leaves it), or None."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(
            path.name,
            row,
            None,
            f"cannot be read: not UTF-8 (byte 0x{data[exc.start]:02x} at byte {column} of the line); "
            "save it as UTF-8 (a spreadsheet's 'CSV UTF-8'). Checks that need this table were skipped",
        )
    return None


def _header_problem(path: Path, names: list[str], found: list[str]) -> Problem:
    missing = [c for c in names if c not in found]
    extra = [c for c in found if c not in names]
    parts = [
        f"missing {', '.join(missing)}" if missing else "",
        f"unexpected {', '.join(map(str, extra))}" if extra else "",
    ]
    detail = "; ".join(filter(None, parts)) or "columns out of order"
    return Problem(
        path.name, 1, None, f"header does not match the schema: {detail}. Checks that need this table were skipped"
    )


def read_tables(directory: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every curated table; problems with files themselves (missing, not UTF-8, not CSV, a header
    other than the schema's), one per file. A table that cannot be read is left out of the tables
    returned, so that the checks that need it are skipped instead of reporting each of its rows."""
    directory = Path(directory)
    tables, problems = {}, []
    version_file = directory / "schema_version.txt"
    version = version_file.read_text().strip() if version_file.exists() else None
    if version != SCHEMA_VERSION:
        problems.append(
            Problem("schema_version.txt", None, None, f"schema version must be {SCHEMA_VERSION}, found {version!r}")
        )
    for table, (_, columns) in TABLES.items():
        path = directory / f"{table}.csv"
        names = [c.name for c in columns]
        if not path.exists():
            problems.append(Problem(path.name, None, None, "file is missing"))
            continue
        undecodable = _undecodable(path)
        if undecodable:
            problems.append(undecodable)
            continue
        try:
            frame = read_csv(path)
        except (ValueError, pd.errors.ParserError) as exc:
            problems.append(Problem(path.name, None, None, f"cannot be read as CSV: {exc}"))
            continue
        if list(frame.columns) != names:
            problems.append(_header_problem(path, names, list(frame.columns)))
            continue
        tables[table] = frame.fillna("").astype(str)
    return tables, problems


def table_problems(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every problem in tables as read by ``read_tables``: each table's schema and keys, then the
    cross-table rules (only when every table could be read: they need them all)."""
    problems = []
    for table, frame in tables.items():
        problems += _pandera_problems(table, frame) + _duplicate_keys(table, frame)
    if set(tables) != set(TABLES):
        return problems
    return problems + _cross_table_problems(tables)


def validate(directory: Path) -> list[Problem]:
    """Every problem in the curated tables of ``directory`` (empty when clean)."""
    tables, problems = read_tables(directory)
    return problems + table_problems(tables)


def load_curated(directory: Path) -> Curated:
    """Load and check the curated tables; raise ``CurationError`` listing every problem."""
    tables, problems = read_tables(directory)
    problems += table_problems(tables)
    if problems:
        raise CurationError(problems)
    return Curated(tables)

"""The registry cross-check: registrations joined, matched to the studies, and flagged.

Rules (ours, stated once)
-------------------------
* Joining: the curated seed (``data/curated/registrations.csv``) and the fetched rows
  (``data/registry/registrations.csv``) are joined on (condition_id, nct_id). Where both hold a
  trial, each registry field takes the fetched value when the registry gave one and the curated
  value otherwise; every field where both have a value and the values differ is listed in
  ``differs`` (nothing is overwritten silently).
* Matching: a registration is matched to every study of ``studies.csv`` (any condition) whose
  ``registry_id`` names its NCT id, or whose PMID the registration links to (``linked_pmids``).
* The snapshot date is the latest ``read_date`` or ``fetched_on`` of the rows, so the same tables
  give the same flags on any day.
* Each registration gets one ``finding``, the first that applies:
  ``published`` (matched to a study, or linking a result publication),
  ``results_posted`` (results on the registry, no publication found),
  ``unreported`` (status COMPLETED, completed ``REPORTING_YEARS`` = 2 or more years before the snapshot
  date, no results posted, no publication found; a YYYY-MM date counts as the month's last day),
  ``completed_recently`` (COMPLETED less than two years before the snapshot date),
  ``completed_undated`` (COMPLETED, the completion date not known: cannot be judged),
  ``ongoing`` (``vocab.ONGOING_STATUSES``), ``other`` (unknown, terminated, withdrawn, not shown).
* Per condition: registered, completed (status COMPLETED), published, results posted, unreported
  and ongoing registrations; ``all_dry_needling`` counts every NCT id of every condition once.

The two years follow the reporting window that ClinicalTrials.gov and the WHO ask of trials (results
within 12 months of completion), doubled to leave room for journal publication.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

from evidence.registry.store import FETCHED_COLUMNS, REGISTRY_FIELDS
from evidence.vocab import ONGOING_STATUSES

REPORTING_YEARS = 2
ALL = "all_dry_needling"
LIST_SEP = "; "
FINDINGS = ("published", "results_posted", "unreported", "completed_recently", "completed_undated", "ongoing", "other")
CROSSCHECK_COLUMNS = (
    "condition_id",
    "nct_id",
    "origin",
    "title",
    "overall_status",
    "completion_date",
    "has_results",
    "linked_pmids",
    "study_ids",
    "finding",
    "primary_outcomes",
    "primary_outcome_note",
    "differs",
    "source_url",
    "seen_on",
)
SUMMARY_COLUMNS = (
    "condition_id",
    "registered",
    "completed",
    "published",
    "results_posted",
    "unreported",
    "ongoing",
    "snapshot_date",
    "unreported_ids",
)
_COMPARED = [f for f in REGISTRY_FIELDS if f not in ("nct_id", "condition_id", "origin")]


def _split(cell: str) -> list[str]:
    return [p.strip() for p in str(cell).replace(",", ";").split(";") if p.strip()]


def combine(curated: pd.DataFrame, fetched: pd.DataFrame) -> pd.DataFrame:
    """One row per (condition_id, nct_id) of either table, joined by the rule in the module docstring,
    with ``differs``, ``source_url``, ``seen_on`` (read or fetch date) and ``primary_outcome_note``."""
    cur = {(r["condition_id"], r["nct_id"]): r for r in curated.to_dict("records")}
    got = {(r["condition_id"], r["nct_id"]): r for r in fetched.reindex(columns=FETCHED_COLUMNS).to_dict("records")}
    rows = []
    for key in sorted(set(cur) | set(got)):
        c, f = cur.get(key), got.get(key)
        if f is None:
            row = {k: c[k] for k in REGISTRY_FIELDS} | {"differs": "", "source_url": c["source_url"]}
            row |= {"seen_on": c["read_date"], "primary_outcome_note": c["primary_outcome_note"]}
        else:
            base = c or {}
            row = {k: f[k] or base.get(k, "") for k in REGISTRY_FIELDS} | {"origin": "fetched"}
            row["differs"] = LIST_SEP.join(
                f"{k}: curated {c[k]!r}, fetched {f[k]!r}" for k in _COMPARED if c and c[k] and f[k] and c[k] != f[k]
            )
            row |= {"source_url": f["source_url"], "seen_on": max(f["fetched_on"], base.get("read_date", ""))}
            row["primary_outcome_note"] = base.get("primary_outcome_note", "")
        rows.append(row)
    return pd.DataFrame(rows, columns=[*REGISTRY_FIELDS, "primary_outcome_note", "differs", "source_url", "seen_on"])


def differences(curated: pd.DataFrame, fetched: pd.DataFrame) -> list[str]:
    """One line per registration whose fetched row differs from its curated row: what differs."""
    joined = combine(curated, fetched)
    return [f"{r.condition_id} {r.nct_id}: {r.differs}" for r in joined.itertuples() if r.differs]


def matched_studies(registrations: pd.DataFrame, studies: pd.DataFrame) -> dict[str, list[str]]:
    """NCT id -> the study ids it matches (by ``registry_id``, or by a linked PMID); every NCT id of
    ``registrations`` is a key."""
    by_registry: dict[str, set[str]] = {}
    by_pmid: dict[str, set[str]] = {}
    for s in studies.itertuples():
        for rid in _split(s.registry_id):
            by_registry.setdefault(rid.upper(), set()).add(s.study_id)
        if s.pmid:
            by_pmid.setdefault(s.pmid, set()).add(s.study_id)
    out = {}
    for r in registrations.itertuples():
        found = set(by_registry.get(r.nct_id.upper(), set()))
        for pmid in _split(r.linked_pmids):
            found |= by_pmid.get(pmid, set())
        out[r.nct_id] = sorted(found | set(out.get(r.nct_id, [])))
    return out


def _last_day(date: str) -> dt.date | None:
    """A YYYY-MM-DD date, or the last day of a YYYY-MM month; None when empty or not a date."""
    try:
        if len(date) == 7:
            year, month = int(date[:4]), int(date[5:])
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return dt.date.fromisoformat(date)
    except ValueError:
        return None


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def finding(row: dict, studies: list[str], cutoff: dt.date) -> str:
    """The finding of one joined registration (rule in the module docstring)."""
    if studies or _split(row["linked_pmids"]):
        return "published"
    if row["has_results"] == "true":
        return "results_posted"
    if row["overall_status"] == "COMPLETED":
        done = _last_day(row["completion_date"])
        if done is None:
            return "completed_undated"
        return "unreported" if done <= cutoff else "completed_recently"
    return "ongoing" if row["overall_status"] in ONGOING_STATUSES else "other"


def crosscheck(
    curated: pd.DataFrame, fetched: pd.DataFrame, studies: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cross-check table (``CROSSCHECK_COLUMNS``, a row per condition and registration) and the
    per-condition summary (``SUMMARY_COLUMNS``, every condition with a registration plus ``all_dry_needling``)."""
    joined = combine(curated, fetched)
    if joined.empty:
        return pd.DataFrame(columns=list(CROSSCHECK_COLUMNS)), pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    snapshot = max(dt.date.fromisoformat(d) for d in joined["seen_on"])
    cutoff = years_before(snapshot, REPORTING_YEARS)
    matches = matched_studies(joined, studies)
    rows = []
    for r in joined.to_dict("records"):
        r["study_ids"] = LIST_SEP.join(matches[r["nct_id"]])
        r["finding"] = finding(r, matches[r["nct_id"]], cutoff)
        rows.append(r)
    table = pd.DataFrame(rows).reindex(columns=list(CROSSCHECK_COLUMNS))
    groups = [(cid, g) for cid, g in table.groupby("condition_id", sort=True) if cid != ALL]
    groups.append((ALL, table.drop_duplicates("nct_id").sort_values("nct_id", kind="mergesort")))
    summary = [
        {
            "condition_id": cid,
            "registered": len(g),
            "completed": int((g["overall_status"] == "COMPLETED").sum()),
            **{k: int((g["finding"] == k).sum()) for k in ("published", "results_posted", "unreported", "ongoing")},
            "snapshot_date": snapshot.isoformat(),
            "unreported_ids": LIST_SEP.join(g.loc[g["finding"] == "unreported", "nct_id"]),
        }
        for cid, g in groups
    ]
    summary_frame = pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)).sort_values("condition_id", kind="mergesort")
    return table, summary_frame.reset_index(drop=True)

"""What the snapshot holds and how the searches relate to the curated studies.

Every function here takes tables already in memory (a :class:`Snapshot` of the PubMed tables,
the curated studies, the derived forest table), so the report, the notebooks and the
``status`` command compute the same numbers from the same rows.

Snapshot            the three PubMed tables of ``data/pubmed/`` (``Snapshot.read``)
last_runs           the newest search-log row per search
search_log          the log columns people read
snapshot_note       one sentence on what the snapshot holds
search_sensitivity  did each included study's condition search retrieve it?
unscreened          retrieved PMIDs without a screening decision
records_by_condition_year, prisma_flow, prisma_text, exclusion_reasons
                    the tables of the search overview (PRISMA 2020 flow per condition)
new_by_condition    new records per condition in the latest runs
status_text         the ``status`` command's text
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evidence.config import ConfigError, DataPaths
from evidence.curation.searches import SearchDefinitions, condition_of
from evidence.pubmed.store import LIST_SEP, PubmedStore
from evidence.vocab import QuestionId

HOW_TO_SEARCH = (
    "run `NCBI_EMAIL=you@example.org python -m evidence update` (or `python -m evidence report` "
    "with NCBI_EMAIL set and network access)"
)
PRISMA_COLUMNS = (
    "condition_id",
    "searched",
    "identified_pubmed",
    "identified_other",
    "screened",
    "awaiting_screening",
    "excluded",
    "included",
    "included_with_data",
)


@dataclass(frozen=True)
class Snapshot:
    """The PubMed tables of one snapshot, as stored (strings)."""

    records: pd.DataFrame
    hits: pd.DataFrame
    log: pd.DataFrame

    @classmethod
    def read(cls, store: PubmedStore) -> Snapshot:
        return cls(store.records(), store.hits(), store.log())

    @property
    def retracted(self) -> set[str]:
        """PMIDs whose stored record is retracted."""
        return set(self.records.loc[self.records["retracted"] == "true", "pmid"])


def last_runs(log: pd.DataFrame) -> pd.DataFrame:
    """The newest search-log row per search id."""
    if log.empty:
        return log
    return log.groupby("search_id", sort=True).tail(1).sort_values("search_id").reset_index(drop=True)


def search_log(snapshot: Snapshot) -> pd.DataFrame:
    """The search log: date, search id, count, retrieved, new PMIDs (empty when no search has run)."""
    return snapshot.log[
        ["date", "search_id", "rct_filter", "count", "retrieved", "new_pmids_n", "missing_pmids", "newly_retracted"]
    ].reset_index(drop=True)


def snapshot_note(snapshot: Snapshot) -> str:
    """One sentence on what the PubMed snapshot holds."""
    if snapshot.log.empty:
        return f"No PubMed search has been run into this snapshot yet; to run one, {HOW_TO_SEARCH}."
    return (
        f"{len(snapshot.log)} search run(s) logged, the latest on {max(snapshot.log['date'])}; "
        f"{len(snapshot.records)} PubMed record(s) stored."
    )


def search_sensitivity(hits: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """For each included study with a PMID: did the searches of its condition retrieve it?

    Returns columns study_id, condition_id, pmid, retrieved ("yes", "no", or "not searched").
    """
    searched = set(hits["search_id"].map(condition_of))
    found = set(zip(hits["search_id"].map(condition_of), hits["pmid"]))
    included = studies[(studies["decision"] == "include") & (studies["pmid"] != "")]
    rows = []
    for study in included.itertuples():
        if study.condition_id not in searched:
            state = "not searched"
        else:
            state = "yes" if (study.condition_id, study.pmid) in found else "no"
        rows.append(
            {"study_id": study.study_id, "condition_id": study.condition_id, "pmid": study.pmid, "retrieved": state}
        )
    return pd.DataFrame(rows, columns=["study_id", "condition_id", "pmid", "retrieved"])


def unscreened(hits: pd.DataFrame, studies: pd.DataFrame) -> list[str]:
    """PMIDs the searches retrieved that have no screening decision in studies.csv."""
    decided = set(studies["pmid"])
    return sorted(set(hits["pmid"]) - decided, key=int)


def records_by_condition_year(snapshot: Snapshot) -> pd.DataFrame:
    """PubMed records retrieved per condition (rows) and publication year (columns)."""
    hits, records = snapshot.hits, snapshot.records
    if hits.empty:
        return pd.DataFrame(columns=["condition_id"])
    frame = hits.assign(condition_id=hits["search_id"].map(condition_of))[["condition_id", "pmid"]].drop_duplicates()
    frame = frame.merge(records[["pmid", "year"]], on="pmid", how="left")
    frame["year"] = frame["year"].replace("", "unknown").fillna("unknown")
    table = frame.pivot_table(index="condition_id", columns="year", values="pmid", aggfunc="count", fill_value=0)
    return table.sort_index().sort_index(axis=1)


def prisma_flow(
    definitions: SearchDefinitions, studies: pd.DataFrame, snapshot: Snapshot, forest: pd.DataFrame
) -> pd.DataFrame:
    """A PRISMA 2020 flow per condition of the search definitions (one row each).

    identified_pubmed   unique PMIDs the condition's searches retrieved (0 when not searched yet)
    identified_other    screened studies of the condition that the searches did not retrieve
                        (found in reviews' reference lists and by hand)
    screened            studies of the condition with a decision in studies.csv
    awaiting_screening  retrieved PMIDs without any decision in studies.csv
    excluded, included  decisions in studies.csv (reasons: ``exclusion_reasons``)
    included_with_data  included studies that contribute an effect to at least one question
    """
    hits = snapshot.hits.assign(condition_id=snapshot.hits["search_id"].map(condition_of))
    searched = set(snapshot.log["search_id"].map(condition_of))
    decided = set(studies["pmid"]) - {""}
    with_data = {(QuestionId.parse(q).condition, s) for q, s in zip(forest["question_id"], forest["study_id"])}
    rows = []
    for cid in definitions.ids:
        found = set(hits.loc[hits["condition_id"] == cid, "pmid"])
        mine = studies[studies["condition_id"] == cid]
        included = mine[mine["decision"] == "include"]
        rows.append(
            {
                "condition_id": cid,
                "searched": cid in searched,
                "identified_pubmed": len(found),
                "identified_other": int((~mine["pmid"].isin(found)).sum()),
                "screened": len(mine),
                "awaiting_screening": len(found - decided),
                "excluded": int((mine["decision"] == "exclude").sum()),
                "included": len(included),
                "included_with_data": sum((cid, s) in with_data for s in included["study_id"]),
            }
        )
    return pd.DataFrame(rows, columns=list(PRISMA_COLUMNS))


def exclusion_reasons(studies: pd.DataFrame, condition_id: str | None = None) -> pd.DataFrame:
    """Excluded studies with their reasons (of one condition, or all), sorted."""
    out = studies[studies["decision"] == "exclude"]
    if condition_id:
        out = out[out["condition_id"] == condition_id]
    return (
        out[["condition_id", "study_id", "exclusion_reason"]]
        .sort_values(["condition_id", "study_id"], kind="mergesort")
        .reset_index(drop=True)
    )


def prisma_text(flow: pd.DataFrame, studies: pd.DataFrame, condition_id: str) -> str:
    """The PRISMA 2020 flow of one condition (a row of ``prisma_flow``) as indented text."""
    flow = flow.set_index("condition_id")
    if condition_id not in flow.index:
        raise ConfigError(f"unknown condition id {condition_id!r}; known: {', '.join(flow.index)}")
    f = flow.loc[condition_id]
    searched = "" if f["searched"] else " (no PubMed search run into this snapshot yet)"
    lines = [
        "Identification",
        f"  records identified from PubMed (search {condition_id}): {f['identified_pubmed']}{searched}",
        f"  studies identified from other sources (reviews, reference lists): {f['identified_other']}",
        "Screening",
        f"  records screened (a decision in studies.csv): {f['screened']}",
        f"  records awaiting screening: {f['awaiting_screening']}",
        f"  excluded, with reasons: {f['excluded']}",
    ]
    lines += [
        f"    - {r.study_id}: {r.exclusion_reason}" for r in exclusion_reasons(studies, condition_id).itertuples()
    ]
    lines += ["Included", f"  studies included: {f['included']} (with usable effect data: {f['included_with_data']})"]
    return "\n".join(lines)


def new_by_condition(snapshot: Snapshot) -> pd.DataFrame:
    """Per condition, the records its searches' latest runs had not retrieved before (the log's
    new PMIDs of the newest row of each search, filtered and unfiltered together): columns
    condition_id, date (of the latest run), new (count)."""
    runs = last_runs(snapshot.log)
    rows = []
    for cid, group in runs.assign(condition_id=runs["search_id"].map(condition_of)).groupby("condition_id"):
        new = {p for text in group["new_pmids"] for p in text.split(LIST_SEP) if p}
        rows.append({"condition_id": cid, "date": max(group["date"]), "new": len(new)})
    return pd.DataFrame(rows, columns=["condition_id", "date", "new"])


def status_text(paths: DataPaths, studies: pd.DataFrame) -> str:
    """What ``evidence status`` prints: records, last runs, search sensitivity, unscreened records."""
    snapshot = Snapshot.read(PubmedStore(paths.pubmed))
    records = snapshot.records
    runs = last_runs(snapshot.log)
    lines = [
        f"data directory: {paths.root}",
        f"PubMed records stored: {len(records)} (retracted: {len(snapshot.retracted)})",
    ]
    if runs.empty:
        lines.append(
            "no PubMed search has been run into this snapshot yet "
            "(run `python -m evidence update` with NCBI_EMAIL set and network access)"
        )
    else:
        lines.append("last run of each search (date, count, new):")
        lines += [f"  {r.search_id:<40} {r.date}  {r.count:>6}  {r.new_pmids_n:>5}" for r in runs.itertuples()]
        lines.append("new records per condition in its searches' latest runs (not retrieved by them before):")
        lines += [f"  {r.condition_id} {r.new}  ({r.date})" for r in new_by_condition(snapshot).itertuples()]
    sens = search_sensitivity(snapshot.hits, studies)
    lines.append(
        f"included studies with a PMID: {len(sens)}; retrieved by their condition's search: "
        f"{(sens['retrieved'] == 'yes').sum()}, missed: {(sens['retrieved'] == 'no').sum()}, "
        f"condition not yet searched: {(sens['retrieved'] == 'not searched').sum()}"
    )
    for r in sens[sens["retrieved"] == "no"].itertuples():
        lines.append(f"  MISSED by search {r.condition_id}: {r.study_id} (PMID {r.pmid})")
    lines.append(f"retrieved records without a screening decision: {len(unscreened(snapshot.hits, studies))}")
    return "\n".join(lines)

"""What the snapshot holds: the last run of each search, record counts, retractions, and how
the searches relate to the curated studies (a check of search sensitivity)."""

from __future__ import annotations

import pandas as pd

from evidence.config import DataPaths
from evidence.searches import condition_of
from evidence.store import PubmedStore


def last_runs(store: PubmedStore) -> pd.DataFrame:
    """The newest search-log row per search id."""
    log = store.log()
    if log.empty:
        return log
    return log.groupby("search_id", sort=True).tail(1).sort_values("search_id").reset_index(drop=True)


def search_sensitivity(store: PubmedStore, studies: pd.DataFrame) -> pd.DataFrame:
    """For each included study with a PMID: did the last search for its condition retrieve it?

    Returns columns study_id, condition_id, pmid, retrieved ("yes", "no", or "not searched").
    """
    hits = store.hits()
    searched = set(hits["search_id"].map(condition_of))
    found = set(zip(hits["search_id"].map(condition_of), hits["pmid"]))
    included = studies[(studies["decision"] == "include") & (studies["pmid"] != "")]
    rows = []
    for study in included.itertuples():
        if study.condition_id not in searched:
            state = "not searched"
        else:
            state = "yes" if (study.condition_id, study.pmid) in found else "no"
        rows.append({"study_id": study.study_id, "condition_id": study.condition_id, "pmid": study.pmid, "retrieved": state})
    return pd.DataFrame(rows, columns=["study_id", "condition_id", "pmid", "retrieved"])


def unscreened(store: PubmedStore, studies: pd.DataFrame) -> list[str]:
    """PMIDs the searches retrieved that have no screening decision in studies.csv."""
    decided = set(studies["pmid"])
    return sorted(set(store.hits()["pmid"]) - decided, key=int)


def status_text(paths: DataPaths) -> str:
    from evidence.curation import load_curated

    store = PubmedStore(paths.pubmed)
    records = store.records()
    runs = last_runs(store)
    lines = [f"data directory: {paths.root}", f"PubMed records stored: {len(records)} "
             f"(retracted: {int((records['retracted'] == 'true').sum())})"]
    if runs.empty:
        lines.append("no PubMed search has been run into this snapshot yet "
                     "(run `python -m evidence update` with NCBI_EMAIL set and network access)")
    else:
        lines.append("last run of each search (date, count, new):")
        lines += [f"  {r.search_id:<40} {r.date}  {r.count:>6}  {r.new_pmids_n:>5}" for r in runs.itertuples()]
    studies = load_curated(paths.curated).studies
    sens = search_sensitivity(store, studies)
    lines.append(f"included studies with a PMID: {len(sens)}; retrieved by their condition's search: "
                 f"{(sens['retrieved'] == 'yes').sum()}, missed: {(sens['retrieved'] == 'no').sum()}, "
                 f"condition not yet searched: {(sens['retrieved'] == 'not searched').sum()}")
    for r in sens[sens["retrieved"] == "no"].itertuples():
        lines.append(f"  MISSED by search {r.condition_id}: {r.study_id} (PMID {r.pmid})")
    pending = unscreened(store, studies)
    lines.append(f"retrieved records without a screening decision: {len(pending)}")
    return "\n".join(lines)

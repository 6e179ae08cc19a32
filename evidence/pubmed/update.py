"""Incremental PubMed update: search each condition, fetch what is new, keep the tables.

For each search: one esearch (history server on); the PMIDs not yet in ``records.csv`` (plus
stored ones due for a refresh) are fetched in batches of at least 200 by POST; every batch is
written to ``records.csv`` at once, so an update killed midway resumes where it stopped with no
duplicate and no gap; then the hits and the search log are written.

"New" is counted per search: the PMIDs this search had not retrieved before (not in its rows of
``search_hits.csv``), whether or not another search had already stored the record. The list is
written to the search's journal before the first efetch and the journal is removed after the
log row, so a run killed anywhere in between logs the same new PMIDs when it is run again as an
uninterrupted run would have.

Deadline: ``update_searches`` starts no search once the client's deadline has passed (the client
itself sends no request after it); with ``keep_going`` the searches not run are reported as such.

Request budget: one esearch per search plus ceil(to fetch / batch size) efetch requests (plus
retries); an immediate re-run with nothing new makes no efetch request.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from evidence import __version__
from evidence.curation.searches import SearchDefinitions, search_id
from evidence.http import HttpError
from evidence.pubmed.eutils import EutilsClient
from evidence.pubmed.parser import PubmedXMLError, parse_pubmed_xml
from evidence.pubmed.store import LIST_SEP, PubmedStore


@dataclass
class SearchSummary:
    """What one search run found and changed."""

    search_id: str
    count: int
    new: list[str] = field(default_factory=list)
    refreshed: int = 0
    missing: list[str] = field(default_factory=list)
    newly_retracted: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.search_id}: {self.count} found, {len(self.new)} new"]
        if self.refreshed:
            parts.append(f"{self.refreshed} refreshed")
        if self.missing:
            parts.append(f"{len(self.missing)} missing from efetch ({', '.join(self.missing)})")
        if self.newly_retracted:
            parts.append(f"NOW RETRACTED: {', '.join(self.newly_retracted)}")
        return ", ".join(parts)


def _due_for_refresh(store: PubmedStore, pmids: list[str], today: dt.date, refresh_days: int | None) -> set[str]:
    if refresh_days is None:
        return set()
    records = store.records()
    stored = dict(zip(records["pmid"], records["fetched_on"]))
    cutoff = today - dt.timedelta(days=refresh_days)
    return {p for p in pmids if p in stored and dt.date.fromisoformat(stored[p]) <= cutoff}


def update_search(
    client: EutilsClient,
    definitions: SearchDefinitions,
    store: PubmedStore,
    condition_id: str,
    rct_filter: bool = True,
    today: dt.date | None = None,
    refresh_days: int | None = None,
    batch_size: int = 200,
    progress: bool | None = None,
) -> SearchSummary:
    """Run one search and bring the tables up to date with it.

    ``refresh_days``: re-fetch stored records last fetched that many days ago or earlier
    (0 re-fetches all), so that retractions and errata show up.
    """
    today = today or dt.date.today()
    sid = search_id(condition_id, rct_filter)
    query = definitions.query(condition_id, rct_filter)
    result = client.esearch(query)
    pmids = list(result.ids)
    stored = set(store.records()["pmid"])
    hits = store.hits()
    retrieved_before = set(hits.loc[hits["search_id"] == sid, "pmid"]) - set(store.read_journal(sid))
    new = [p for p in pmids if p not in retrieved_before]
    store.write_journal(sid, new)
    due = _due_for_refresh(store, pmids, today, refresh_days)
    to_fetch = [p for p in pmids if p not in stored or p in due]
    summary = SearchSummary(sid, result.count, new=new, refreshed=len(due))
    history = result if to_fetch == pmids else None
    batches = client.fetch_pubmed(to_fetch, batch_size=batch_size, history=history)
    total = math.ceil(len(to_fetch) / batch_size)
    for batch in tqdm(
        batches, total=total, desc=sid, unit="batch", disable=None if progress is None else not progress, leave=False
    ):
        summary.newly_retracted += store.upsert_records(batch.records, today.isoformat())
        summary.missing += batch.missing
    store.record_hits(sid, pmids, today.isoformat())
    store.append_log(
        {
            "date": today.isoformat(),
            "search_id": sid,
            "condition_id": condition_id,
            "rct_filter": "true" if rct_filter else "false",
            "query": query,
            "count": result.count,
            "retrieved": len(pmids),
            "new_pmids_n": len(summary.new),
            "new_pmids": LIST_SEP.join(summary.new),
            "missing_pmids": LIST_SEP.join(summary.missing),
            "newly_retracted": LIST_SEP.join(summary.newly_retracted),
            "software_version": __version__,
        }
    )
    store.clear_journal(sid)
    return summary


@dataclass
class UpdateRun:
    """What one update of several searches did: a summary per search that ran, and the searches
    that failed with why (only when the run was asked to go on after a failure)."""

    summaries: list[SearchSummary] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def new(self) -> int:
        return sum(len(s.new) for s in self.summaries)

    @property
    def newly_retracted(self) -> list[str]:
        return sorted({p for s in self.summaries for p in s.newly_retracted}, key=int)


def update_searches(
    client: EutilsClient,
    definitions: SearchDefinitions,
    store: PubmedStore,
    condition_ids: Sequence[str],
    echo: Callable[[str], None] = print,
    keep_going: bool = False,
    **options: Any,
) -> UpdateRun:
    """Run the searches of ``condition_ids`` one after the other (``update_search`` with ``options``),
    echoing one line per search. The one update loop of ``evidence update`` and the main job.

    ``keep_going``: a search that fails (E-utilities, network, the deadline, malformed XML) is reported, recorded in
    ``UpdateRun.failed`` and skipped, and its stored rows are kept; otherwise the failure propagates.
    """
    run = UpdateRun()
    deadline = client.deadline
    for cid in condition_ids:
        if deadline is not None and deadline.passed:
            if not keep_going:
                deadline.check(f"search {cid}")
            run.failed[cid] = "not run: the deadline had passed"
            continue
        try:
            summary = update_search(client, definitions, store, cid, **options)
        except (HttpError, PubmedXMLError, requests.RequestException, OSError) as exc:
            if not keep_going:
                raise
            run.failed[cid] = str(exc)
            echo(f"search {cid} failed, going on: {exc}")
            continue
        run.summaries.append(summary)
        echo(summary.line())
    return run


def apply_pubmed_file(
    store: PubmedStore, source: Path, today: dt.date | None = None
) -> tuple[int, list[str], list[str]]:
    """Apply a PubMed baseline or update file (``.xml`` or ``.xml.gz``, or any efetch XML) to the
    stored records: articles already stored are replaced (so retractions and errata show up);
    ``DeleteCitation`` PMIDs are removed from the records and from the search hits, and each
    removal is logged in deletions.csv. Articles not yet stored are left out: the searches decide
    what the snapshot holds. Nothing is written unless the whole file parses.

    Returns (records replaced, PMIDs deleted, PMIDs that became retracted).
    """
    today = today or dt.date.today()
    stored = set(store.records()["pmid"])
    known = stored | set(store.hits()["pmid"])
    replaced, deleted = [], []
    for record in parse_pubmed_xml(source):
        if record["deleted"] and record["pmid"] in known:
            deleted.append(record["pmid"])
        elif not record["deleted"] and record["pmid"] in stored:
            replaced.append(record)
    retracted = store.upsert_records(replaced, today.isoformat())
    store.delete_records(deleted, Path(source).name, today.isoformat())
    return len(replaced), deleted, retracted

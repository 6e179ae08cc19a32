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

Giving up: with ``keep_going``, after ``GIVE_UP_AFTER`` searches in a row have failed, the run
starts no further search (they are reported as not run): a server or proxy that answers every
request with an error (HTTP 404, 503) would otherwise use the whole deadline, search after search.
A failure is *answered* when E-utilities (or a proxy) answered with an error, not when it was not
reached in time (``NoAnswer``, ``DeadlineExceeded``); ``UpdateRun.answered_errors`` lists those
searches, so that the main job can tell a failed refresh from an unreachable network.

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
from evidence.http import DeadlineExceeded, HttpError, NoAnswer
from evidence.pubmed.eutils import EutilsClient, EutilsError
from evidence.pubmed.parser import PubmedXMLError, parse_pubmed_xml
from evidence.pubmed.store import LIST_SEP, PubmedStore

GIVE_UP_AFTER = 2  # searches failed in a row after which a keep-going run starts no further search


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
    that failed or were not run, with why (only when the run was asked to go on after a failure);
    ``answered_errors``: the failed searches that E-utilities answered with an error (rather than
    not answering in time)."""

    summaries: list[SearchSummary] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    answered_errors: list[str] = field(default_factory=list)

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

    ``keep_going``: a search that fails (E-utilities, network, the deadline, malformed XML) is reported,
    recorded in ``UpdateRun.failed`` and skipped, and its stored rows are kept, until ``GIVE_UP_AFTER``
    have failed in a row; otherwise the failure propagates.
    """
    run = UpdateRun()
    deadline = client.deadline
    in_a_row = 0
    for cid in condition_ids:
        if deadline is not None and deadline.passed:
            if not keep_going:
                deadline.check(f"search {cid}")
            run.failed[cid] = "not run: the deadline had passed"
            continue
        if in_a_row >= GIVE_UP_AFTER:
            run.failed[cid] = f"not run: given up after {in_a_row} searches failed in a row"
            continue
        try:
            summary = update_search(client, definitions, store, cid, **options)
        except (HttpError, PubmedXMLError, requests.RequestException, OSError) as exc:
            if not keep_going:
                raise
            in_a_row += 1
            run.failed[cid] = str(exc)
            if isinstance(exc, (EutilsError, PubmedXMLError)) and not isinstance(exc, (NoAnswer, DeadlineExceeded)):
                run.answered_errors.append(cid)
            echo(f"search {cid} failed: {exc}")
            if in_a_row == GIVE_UP_AFTER:
                echo(f"giving up: {in_a_row} searches failed in a row; the others keep their stored rows")
            continue
        in_a_row = 0
        run.summaries.append(summary)
        echo(summary.line())
    return run


@dataclass(frozen=True)
class ImportResult:
    """What applying one PubMed file did: records read from it (articles and deletions), stored
    records replaced, PMIDs deleted, PMIDs that became retracted."""

    read: int
    replaced: int
    deleted: list[str]
    retracted: list[str]

    def line(self) -> str:
        """One line for the console; says so when nothing in the file concerns the stored records."""
        if not self.replaced and not self.deleted:
            return f"{self.read} record(s) read, none stored here; `update` adds records"
        return f"{self.read} record(s) read: {self.replaced} stored record(s) replaced, {len(self.deleted)} deleted" + (
            f"; now retracted: {', '.join(self.retracted)}" if self.retracted else ""
        )


def apply_pubmed_file(store: PubmedStore, source: Path, today: dt.date | None = None) -> ImportResult:
    """Apply a PubMed baseline or update file (``.xml`` or ``.xml.gz``, or any efetch XML) to the
    stored records: articles already stored are replaced (so retractions and errata show up);
    ``DeleteCitation`` PMIDs are removed from the records and from the search hits, and each
    removal is logged in deletions.csv. Articles not yet stored are left out: the searches decide
    what the snapshot holds. Nothing is written unless the whole file parses (XML that is not
    PubMed XML raises ``PubmedXMLError``).
    """
    today = today or dt.date.today()
    stored = set(store.records()["pmid"])
    known = stored | set(store.hits()["pmid"])
    replaced, deleted, read = [], [], 0
    for record in parse_pubmed_xml(source):
        read += 1
        if record["deleted"] and record["pmid"] in known:
            deleted.append(record["pmid"])
        elif not record["deleted"] and record["pmid"] in stored:
            replaced.append(record)
    retracted = store.upsert_records(replaced, today.isoformat())
    store.delete_records(deleted, Path(source).name, today.isoformat())
    return ImportResult(read, len(replaced), deleted, retracted)

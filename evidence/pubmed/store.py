"""The machine-written PubMed tables in ``data/pubmed/`` (never edited by hand).

records.csv       one row per PMID (``pmid`` first), with the date it was last fetched
search_hits.csv   which search found which PMID: ``first_seen`` and ``last_seen`` dates
search_log.csv    one row per search run: exact query, date, count, new PMIDs, software version
deletions.csv     one row per record PubMed deleted (``DeleteCitation`` of an imported file): date,
                  PMID, the file, the searches whose hits on it were removed with it
journal_<search>.json  only while a search is being fetched: the PMIDs it had not retrieved
                  before, written before the first efetch and removed once its log row is
                  written, so that a run killed in between logs them when it is run again

Every write is atomic (``evidence.tables``); rows are sorted by key, so the same inputs give the
same bytes. List fields are joined with ``"; "``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evidence.tables import atomic_write_bytes, read_csv, write_csv

RECORD_COLUMNS = (
    "pmid",
    "doi",
    "year",
    "first_author",
    "authors",
    "title",
    "journal",
    "languages",
    "publication_types",
    "mesh_terms",
    "registry_ids",
    "retracted",
    "retraction_of",
    "errata",
    "abstract",
    "fetched_on",
)
HIT_COLUMNS = ("search_id", "pmid", "first_seen", "last_seen")
LOG_COLUMNS = (
    "date",
    "search_id",
    "condition_id",
    "rct_filter",
    "query",
    "count",
    "retrieved",
    "new_pmids_n",
    "new_pmids",
    "missing_pmids",
    "newly_retracted",
    "software_version",
)
DELETION_COLUMNS = ("date", "pmid", "source_file", "search_ids")
LIST_SEP = "; "
# columns added after snapshots were first written: an older records.csv reads with them empty (until its records
# are fetched again)
LATER_COLUMNS = ("authors",)
_LIST_FIELDS = ("authors", "languages", "publication_types", "mesh_terms", "registry_ids", "retraction_of", "errata")


def author_lists(records: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """PMID -> its full author list, for the records that have one (records.csv ``authors``)."""
    return {
        pmid: tuple(authors.split(LIST_SEP)) for pmid, authors in zip(records["pmid"], records["authors"]) if authors
    }


def _pmid_order(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Sort by ``keys`` with PMIDs in numeric order."""
    sort_keys = [k if k != "pmid" else "_pmid_int" for k in keys]
    frame = frame.assign(_pmid_int=pd.to_numeric(frame["pmid"], errors="coerce"))
    return frame.sort_values(sort_keys, kind="mergesort").drop(columns="_pmid_int").reset_index(drop=True)


def record_row(record: dict, fetched_on: str) -> dict:
    """A parsed PubMed record (``evidence.pubmed.parser``) as a records.csv row of strings."""
    row = {k: record.get(k) for k in RECORD_COLUMNS if k != "fetched_on"}
    for key in _LIST_FIELDS:
        row[key] = LIST_SEP.join(record.get(key) or [])
    row["doi"] = record.get("doi") or ""
    row["year"] = "" if record.get("year") is None else str(record["year"])
    row["retracted"] = "true" if record.get("retracted") else "false"
    row["fetched_on"] = fetched_on
    return row


@dataclass
class PubmedStore:
    """Read and update the tables of one ``data/pubmed`` directory."""

    directory: Path

    @property
    def records_path(self) -> Path:
        return Path(self.directory) / "records.csv"

    @property
    def hits_path(self) -> Path:
        return Path(self.directory) / "search_hits.csv"

    @property
    def log_path(self) -> Path:
        return Path(self.directory) / "search_log.csv"

    @property
    def deletions_path(self) -> Path:
        return Path(self.directory) / "deletions.csv"

    def journal_path(self, search: str) -> Path:
        return Path(self.directory) / f"journal_{search}.json"

    def records(self) -> pd.DataFrame:
        frame = read_csv(self.records_path, [c for c in RECORD_COLUMNS if c not in LATER_COLUMNS])
        return frame.assign(**{c: "" for c in LATER_COLUMNS if c not in frame})[list(RECORD_COLUMNS)]

    def hits(self) -> pd.DataFrame:
        return read_csv(self.hits_path, HIT_COLUMNS)

    def log(self) -> pd.DataFrame:
        return read_csv(self.log_path, LOG_COLUMNS)

    def deletions(self) -> pd.DataFrame:
        return read_csv(self.deletions_path, DELETION_COLUMNS)

    def upsert_records(self, records: Iterable[dict], fetched_on: str) -> list[str]:
        """Add or replace records; return the PMIDs that were stored unretracted and now are retracted."""
        new = pd.DataFrame([record_row(r, fetched_on) for r in records], columns=list(RECORD_COLUMNS))
        if new.empty:
            return []
        old = self.records()
        before = dict(zip(old["pmid"], old["retracted"]))
        newly_retracted = [p for p, r in zip(new["pmid"], new["retracted"]) if r == "true" and before.get(p) == "false"]
        merged = pd.concat([old[~old["pmid"].isin(new["pmid"])], new], ignore_index=True)
        write_csv(_pmid_order(merged, "pmid"), self.records_path, RECORD_COLUMNS)
        return newly_retracted

    def delete_records(self, pmids: Iterable[str], source_file: str, today: str) -> None:
        """Remove records that PubMed deleted (``DeleteCitation``) and the search hits on them, and
        log each removal in deletions.csv (with the searches whose hits went)."""
        gone = set(pmids)
        if not gone:
            return
        hits, records = self.hits(), self.records()
        searches = hits[hits["pmid"].isin(gone)].groupby("pmid")["search_id"].agg(lambda s: LIST_SEP.join(sorted(s)))
        rows = pd.DataFrame(
            [{"date": today, "pmid": p, "source_file": source_file, "search_ids": searches.get(p, "")} for p in gone],
            columns=list(DELETION_COLUMNS),
        )
        deletions = pd.concat([self.deletions(), rows], ignore_index=True)
        write_csv(_pmid_order(deletions, "date", "pmid"), self.deletions_path, DELETION_COLUMNS)
        write_csv(records[~records["pmid"].isin(gone)], self.records_path, RECORD_COLUMNS)
        write_csv(hits[~hits["pmid"].isin(gone)], self.hits_path, HIT_COLUMNS)

    def read_journal(self, search: str) -> list[str]:
        """The PMIDs an interrupted run of ``search`` had counted as new (empty when none was)."""
        path = self.journal_path(search)
        return list(json.loads(path.read_text(encoding="utf-8"))["new_pmids"]) if path.exists() else []

    def write_journal(self, search: str, new_pmids: list[str]) -> None:
        """Note the PMIDs ``search`` has not retrieved before, before they are fetched."""
        text = json.dumps({"search_id": search, "new_pmids": new_pmids}, indent=1) + "\n"
        atomic_write_bytes(self.journal_path(search), text.encode("utf-8"))

    def clear_journal(self, search: str) -> None:
        self.journal_path(search).unlink(missing_ok=True)

    def record_hits(self, search: str, pmids: Iterable[str], today: str) -> None:
        """Mark ``pmids`` as found by ``search`` today (first_seen kept, last_seen updated)."""
        hits = self.hits()
        found = set(pmids)
        mine = hits["search_id"] == search
        hits.loc[mine & hits["pmid"].isin(found), "last_seen"] = today
        known = set(hits.loc[mine, "pmid"])
        added = pd.DataFrame(
            [{"search_id": search, "pmid": p, "first_seen": today, "last_seen": today} for p in sorted(found - known)],
            columns=list(HIT_COLUMNS),
        )
        write_csv(_pmid_order(pd.concat([hits, added], ignore_index=True), "search_id", "pmid"), self.hits_path)

    def append_log(self, row: dict) -> bool:
        """Append a search-log row unless it repeats the search's last row (same day, query, count,
        nothing new): an immediate re-run then leaves the log byte-identical. Returns True if written."""
        log = self.log()
        previous = log[log["search_id"] == row["search_id"]].tail(1)
        row = {k: str(row.get(k, "")) for k in LOG_COLUMNS}
        if not previous.empty:
            last = previous.iloc[0]
            same = all(last[k] == row[k] for k in ("date", "query", "count", "retrieved"))
            if same and row["new_pmids_n"] == "0" and not row["missing_pmids"] and not row["newly_retracted"]:
                return False
        write_csv(pd.concat([log, pd.DataFrame([row])], ignore_index=True), self.log_path, LOG_COLUMNS)
        return True

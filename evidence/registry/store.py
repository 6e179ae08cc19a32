"""The machine-written registry tables in ``data/registry/`` (never edited by hand).

registrations.csv  one row per condition and NCT id as the registry returned it (``FETCHED_COLUMNS``:
                   the curated table's registry fields, then ``source_url`` and ``fetched_on``)
query_log.csv      one row per search run: date, condition, ``query.intr`` and ``query.cond`` as
                   sent, the registry's total count, the studies retrieved, the NCT ids new to the
                   condition, software version

Every write is atomic (``evidence.tables``) and rows are sorted by key, so the same answers give the
same bytes. A registration the search no longer returns keeps its row (as PubMed hits do).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evidence.curation.schema import TABLES
from evidence.tables import read_csv, write_csv

_CURATED = [c.name for c in TABLES["registrations"][1]]
# the registry's own fields, shared with the curated seed (nct_id ... linked_pmids)
REGISTRY_FIELDS = tuple(_CURATED[: _CURATED.index("linked_pmids") + 1])
FETCHED_COLUMNS = (*REGISTRY_FIELDS, "source_url", "fetched_on")
LOG_COLUMNS = (
    "date",
    "condition_id",
    "query_intr",
    "query_cond",
    "count",
    "retrieved",
    "new_nct_ids_n",
    "new_nct_ids",
    "software_version",
)
KEY = ["condition_id", "nct_id"]


@dataclass
class RegistryStore:
    """Read and update the tables of one ``data/registry`` directory."""

    directory: Path

    @property
    def registrations_path(self) -> Path:
        return Path(self.directory) / "registrations.csv"

    @property
    def log_path(self) -> Path:
        return Path(self.directory) / "query_log.csv"

    def registrations(self) -> pd.DataFrame:
        return read_csv(self.registrations_path, FETCHED_COLUMNS)

    def log(self) -> pd.DataFrame:
        return read_csv(self.log_path, LOG_COLUMNS)

    def upsert(self, rows: Iterable[dict]) -> list[str]:
        """Add or replace rows by (condition_id, nct_id); return the NCT ids that are new to their condition."""
        new = pd.DataFrame(list(rows), columns=list(FETCHED_COLUMNS))
        if new.empty:
            return []
        old = self.registrations()
        keys = list(zip(new["condition_id"], new["nct_id"]))
        stored = pd.Series(list(zip(old["condition_id"], old["nct_id"])), index=old.index, dtype=object)
        kept = old[~stored.isin(keys)]
        merged = pd.concat([kept, new], ignore_index=True).sort_values(KEY, kind="mergesort")
        write_csv(merged, self.registrations_path, FETCHED_COLUMNS)
        known = set(stored)
        return [nct for key, nct in zip(keys, new["nct_id"]) if key not in known]

    def append_log(self, row: dict) -> bool:
        """Append a query-log row unless it repeats the condition's last row (same date, queries and
        count, nothing new), so an immediate re-run leaves the log byte-identical. True if written."""
        log = self.log()
        row = {k: str(row.get(k, "")) for k in LOG_COLUMNS}
        last = log[log["condition_id"] == row["condition_id"]].tail(1)
        same = ("date", "query_intr", "query_cond", "count", "retrieved")
        if not last.empty and all(last.iloc[0][k] == row[k] for k in same) and row["new_nct_ids_n"] == "0":
            return False
        write_csv(pd.concat([log, pd.DataFrame([row])], ignore_index=True), self.log_path, LOG_COLUMNS)
        return True

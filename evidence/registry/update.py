"""Incremental registry update: search ClinicalTrials.gov per condition and keep the tables.

For each condition of ``searches.yaml``: every page of ``query.intr = INTERVENTION`` and the
condition's ``query.cond`` (``ctgov.condition_query``; none for ``all_dry_needling``); each page's
studies are written to ``registrations.csv`` at once (so a run cut short keeps what it got), then
one query-log row (date, both queries, total count, retrieved, NCT ids new to the condition).
Request budget: ceil(count / page size) per condition (plus retries). Once the client's deadline
has passed no condition is started; with ``keep_going`` a failing condition is reported and skipped
and its stored rows are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from evidence import __version__
from evidence.curation.searches import SearchDefinitions
from evidence.http import HttpError
from evidence.registry.ctgov import LIST_SEP, PAGE_SIZE, CtgovClient, condition_query, registration_row
from evidence.registry.store import RegistryStore

INTERVENTION = "dry needling"


@dataclass
class RegistrySummary:
    """What one condition's search found: the registry's count, the studies retrieved, the new NCT ids."""

    condition_id: str
    count: int
    retrieved: int
    new: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.condition_id}: {self.count} registered, {self.retrieved} retrieved, {len(self.new)} new"


def update_condition(
    client: CtgovClient,
    definitions: SearchDefinitions,
    store: RegistryStore,
    condition_id: str,
    today: dt.date | None = None,
    page_size: int = PAGE_SIZE,
) -> RegistrySummary:
    """Run one condition's search and bring the tables up to date with it."""
    today = today or dt.date.today()
    cond = condition_query(definitions.condition(condition_id))
    count, retrieved, new = None, 0, []
    for page in client.search(INTERVENTION, cond, page_size):
        count = page.total if count is None else count
        rows = [registration_row(s, condition_id, today.isoformat()) for s in page.studies]
        new += store.upsert(rows)
        retrieved += len(rows)
    summary = RegistrySummary(condition_id, retrieved if count is None else count, retrieved, new)
    store.append_log(
        {
            "date": today.isoformat(),
            "condition_id": condition_id,
            "query_intr": INTERVENTION,
            "query_cond": cond or "",
            "count": summary.count,
            "retrieved": retrieved,
            "new_nct_ids_n": len(new),
            "new_nct_ids": LIST_SEP.join(new),
            "software_version": __version__,
        }
    )
    return summary


@dataclass
class RegistryRun:
    """The conditions that ran (a summary each) and those that failed or were not run, with why."""

    summaries: list[RegistrySummary] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def new(self) -> int:
        return sum(len(s.new) for s in self.summaries)


def update_registry(
    client: CtgovClient,
    definitions: SearchDefinitions,
    store: RegistryStore,
    condition_ids: Sequence[str],
    echo: Callable[[str], None] = print,
    keep_going: bool = False,
    **options,
) -> RegistryRun:
    """Search the registry for each of ``condition_ids`` (``update_condition`` with ``options``), one
    line each; the loop of ``evidence registry`` and the main job."""
    run = RegistryRun()
    for cid in condition_ids:
        try:
            if client.deadline is not None:
                client.deadline.check(f"registry search {cid}")
            summary = update_condition(client, definitions, store, cid, **options)
        except (HttpError, requests.RequestException, OSError) as exc:
            if not keep_going:
                raise
            run.failed[cid] = str(exc)
            echo(f"registry search {cid} failed, going on: {exc}")
            continue
        run.summaries.append(summary)
        echo(summary.line())
    return run

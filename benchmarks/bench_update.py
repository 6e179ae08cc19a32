"""Benchmark of the PubMed update against the local E-utilities server (``tests/eutils_server.py``).

Runs every search definition into an empty temporary data directory, then again on the same
day, and prints per run: searches, records stored, the requests sent per utility, new records
logged (counted per search) and seconds. The request budget it checks: one esearch per
definition plus ceil(records to fetch / batch size) efetch on the first run; no efetch on the
same-day re-run. Then it times the main job's refresh against a server that accepts requests and
never answers them, with a short ``--deadline``, to show that the deadline bounds it.

The local server returns the same records for every query (the recorded articles plus clones,
``--records`` in all), so the first search fetches them and the others only log them as new
to themselves.

    .venv/bin/python benchmarks/bench_update.py [--records N] [--deadline SECONDS]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from evidence.config import DataPaths, Settings  # noqa: E402
from evidence.curation.inputs import load_inputs  # noqa: E402
from evidence.curation.searches import load_search_definitions  # noqa: E402
from evidence.http import Deadline, RateLimiter  # noqa: E402
from evidence.jobs.main import refresh_snapshot  # noqa: E402
from evidence.pubmed.eutils import EutilsClient  # noqa: E402
from evidence.pubmed.store import PubmedStore  # noqa: E402
from evidence.pubmed.update import update_searches  # noqa: E402
from tests.eutils_server import EutilsServer, cloned_articles, recorded_articles  # noqa: E402


def client_for(server: EutilsServer, deadline: float | None = None) -> EutilsClient:
    settings = Settings(email="bench@example.org", base_url=server.url)
    return EutilsClient(settings, limiter=RateLimiter(), deadline=Deadline(deadline) if deadline else None)


def one_update(server: EutilsServer, paths: DataPaths, today: dt.date) -> str:
    definitions = load_search_definitions(paths.searches)
    store = PubmedStore(paths.pubmed)
    mark = len(server.state.requests)
    start = time.perf_counter()
    run = update_searches(
        client_for(server), definitions, store, definitions.ids, echo=lambda _: None, progress=False, today=today
    )
    seconds = time.perf_counter() - start
    sent = collections.Counter(r.utility for r in server.state.requests[mark:])
    return (
        f"{len(run.summaries)} searches, {len(store.records())} records stored, "
        f"{sent['esearch']} esearch + {sent['efetch']} efetch, {run.new} new (per search), {seconds:.1f} s"
    )


def silent_refresh(server: EutilsServer, paths: DataPaths, deadline: float) -> str:
    server.state.plan["esearch"] = ["silent"] * 1000
    os.environ.update({"NCBI_EMAIL": "bench@example.org", "EVIDENCE_EUTILS_URL": server.url})
    os.environ.pop("NCBI_API_KEY", None)
    start = time.perf_counter()
    line = refresh_snapshot(load_inputs(paths), echo=lambda _: None, deadline=deadline)
    return f"{time.perf_counter() - start:.1f} s with --deadline {deadline:g}: {line}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=420, help="records the server returns (default 420)")
    parser.add_argument("--deadline", type=float, default=3.0, help="deadline of the silent-server run (default 3)")
    args = parser.parse_args()
    articles = recorded_articles()
    articles.update(cloned_articles(next(iter(articles.values())), 80000001, max(0, args.records - len(articles))))
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp, EutilsServer(articles) as server:
        paths = DataPaths(Path(tmp) / "data")
        (paths.curated).mkdir(parents=True)
        shutil.copy(PROJECT / "data" / "curated" / "searches.yaml", paths.searches)
        today = dt.date.today()
        print(f"first run:        {one_update(server, paths, today)}")
        print(f"same-day re-run:  {one_update(server, paths, today)}")
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp, EutilsServer(articles) as server:
        paths = DataPaths(Path(tmp) / "data")
        shutil.copytree(PROJECT / "data", paths.root, ignore=shutil.ignore_patterns("staging*", "report"))
        print(f"silent server:    {silent_refresh(server, paths, args.deadline)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Shared test fixtures. Paths come from this file, never from the working directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from evidence.config import DataPaths, Settings
from evidence.curation.schema import TABLES, Curated
from evidence.pubmed.eutils import EutilsClient, RateLimiter
from tests.eutils_server import (
    EUTILS_FIXTURES,
    EutilsServer,
    cloned_articles,
    recorded_articles,
)
from tests.paths import FIXTURES, PROJECT, SHARED  # noqa: F401 (re-exported for the test modules)

HANDWRITTEN = FIXTURES / "pubmed_handwritten.xml"
NOTHING_LISTENS = "http://127.0.0.1:9/api/v2/"  # the discard port


@pytest.fixture(autouse=True)
def no_live_registry(monkeypatch):
    """No test reaches the real ClinicalTrials.gov: the main job's registry probe goes to a closed port
    unless a test points EVIDENCE_CTGOV_URL at the local server."""
    monkeypatch.setenv("EVIDENCE_CTGOV_URL", NOTHING_LISTENS)


def pytest_collection_modifyitems(config, items):
    """Under ``--no-cov`` drop the ``no_cover`` mark: pytest-cov 7.1 still tries to pause coverage for a
    marked test when coverage is off, and fails with AttributeError."""
    if config.getoption("no_cov", default=False):
        for item in items:
            item.own_markers = [m for m in item.own_markers if m.name != "no_cover"]


def curated_tables(**rows: list[dict]) -> Curated:
    """Curated tables in memory: every table of the schema, with the given rows (missing cells empty)."""
    tables = {}
    for name, (_, cols) in TABLES.items():
        blank = {c.name: "" for c in cols}
        tables[name] = pd.DataFrame([{**blank, **r} for r in rows.get(name, [])], columns=[c.name for c in cols])
    return Curated(tables)


def copy_data(target: Path) -> DataPaths:
    """A copy of the project's data/ (without staging folders or an earlier report)."""
    shutil.copytree(PROJECT / "data", target, ignore=shutil.ignore_patterns("staging*", ".derived-staging-*", "report"))
    return DataPaths(target)


def handwritten_articles() -> dict[str, bytes]:
    from lxml import etree

    root = etree.parse(str(HANDWRITTEN), etree.XMLParser(resolve_entities=False, load_dtd=False)).getroot()
    return {a.findtext("MedlineCitation/PMID"): etree.tostring(a) for a in root.iter("PubmedArticle")}


# CI sets this: there a missing ../shared fails the run instead of skipping tests quietly
REQUIRE_SHARED = "EVIDENCE_REQUIRE_SHARED"


def skip_without(path: Path, what: str) -> None:
    """Skip the test when ``path`` (a folder of ../shared) is absent; fail instead under CI's
    ``EVIDENCE_REQUIRE_SHARED=1``."""
    if path.exists():
        return
    message = f"{what} not found at {path} (../shared is absent in this checkout)"
    if os.environ.get(REQUIRE_SHARED):
        pytest.fail(message + f"; {REQUIRE_SHARED} is set, so this is an error")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared():
    """``shared(folder, what)``: the path of ``../shared/<folder>``; the test is skipped when it
    is absent (failed under CI's ``EVIDENCE_REQUIRE_SHARED=1``)."""

    def folder(name: str, what: str) -> Path:
        path = SHARED / name
        skip_without(path, what)
        return path

    return folder


def needs_shared() -> None:
    skip_without(EUTILS_FIXTURES, "recorded NCBI fixtures")


@pytest.fixture(scope="session")
def articles() -> dict[str, bytes]:
    """Recorded PubMed articles when ../shared is present, else the hand-written ones plus clones
    of the first (so that tests have a few dozen records either way)."""
    if EUTILS_FIXTURES.is_dir():
        return recorded_articles()
    if os.environ.get(REQUIRE_SHARED):
        pytest.fail(f"recorded NCBI fixtures not found at {EUTILS_FIXTURES}; {REQUIRE_SHARED} is set")
    own = handwritten_articles()
    return {**own, **cloned_articles(next(iter(own.values())), 90000100, 30)}


@pytest.fixture
def server(articles):
    with EutilsServer(articles) as srv:
        yield srv


@pytest.fixture
def data_dir(tmp_path):
    """A data directory holding only the search definitions."""
    (tmp_path / "curated").mkdir()
    shutil.copy(PROJECT / "data" / "curated" / "searches.yaml", tmp_path / "curated" / "searches.yaml")
    return tmp_path


@pytest.fixture
def big_server(articles):
    """The recorded articles plus clones, so an update needs three efetch batches."""
    template = next(iter(articles.values()))
    with EutilsServer({**articles, **cloned_articles(template, 80000001, 420 - len(articles))}) as srv:
        yield srv


def live_env(server) -> dict:
    """The environment of a live run against the local server (no API key)."""
    env = {
        **os.environ,
        "EVIDENCE_EUTILS_URL": server.url,
        "NCBI_EMAIL": "tester@example.org",
        "PYTHONPATH": str(PROJECT),
    }
    env.pop("NCBI_API_KEY", None)
    return env


def start_slow_update(server, data_dir, *extra) -> subprocess.Popen:
    """An ``update`` in another process that is stuck in its second efetch batch (holding the lock)
    once ``records.csv`` exists."""
    server.state.slow_seconds = 30
    server.state.plan["efetch"] = ["ok", "slow"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "evidence", "update", "--condition", "neck_pain", "--data-dir", str(data_dir), *extra],
        env=live_env(server),
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    records_path = data_dir / "pubmed" / "records.csv"
    deadline = time.monotonic() + 20
    while not records_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert proc.poll() is None, proc.communicate()
    return proc


def make_client(server: EutilsServer, api_key: str | None = None, **overrides) -> EutilsClient:
    settings = Settings(
        email="tester@example.org",
        api_key=api_key,
        base_url=server.url,
        timeout=overrides.pop("timeout", 1.0),
        max_attempts=overrides.pop("max_attempts", 4),
        backoff_base=0.01,
        backoff_max=0.05,
        **overrides,
    )
    return EutilsClient(settings, limiter=RateLimiter())


@pytest.fixture
def client(server) -> EutilsClient:
    return make_client(server)

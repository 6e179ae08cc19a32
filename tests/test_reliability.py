"""Nothing lost, nothing hangs (issue 12): one writer at a time, bounded waiting, PubMed's gzipped
files and deletions, honest "what's new" counts, one exit-code policy, normal file modes.

Each test reproduces one way a user broke the tracker, against the local E-utilities server
where it needs a network."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import signal
import subprocess
import sys

import pytest

from evidence.cli import main
from evidence.config import DataPaths
from evidence.curation.searches import load_search_definitions
from evidence.pubmed.store import PubmedStore
from evidence.pubmed.update import update_search
from tests.conftest import (
    HANDWRITTEN,
    PROJECT,
    copy_data,
    make_client,
    start_slow_update,
)

DAY1 = dt.date(2026, 1, 5)


def run(server, data_dir, condition="neck_pain", today=DAY1, **kw):
    client = make_client(server)
    defs = load_search_definitions(DataPaths(data_dir).searches)
    return update_search(
        client, defs, PubmedStore(DataPaths(data_dir).pubmed), condition, today=today, progress=False, **kw
    )


# -- 1. one writer at a time ---------------------------------------------------------------------
def test_second_writer_is_refused_readers_go_on_and_a_kill_releases_the_lock(big_server, tmp_path, monkeypatch, capsys):
    paths = copy_data(tmp_path / "data")
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", big_server.url)
    proc = start_slow_update(big_server, paths.root)
    try:
        mark = len(big_server.state.requests)
        assert main(["update", "--condition", "knee_pain", "--data-dir", str(paths.root)]) == 2
        err = capsys.readouterr().err
        assert "another evidence command" in err and "update" in err and str(proc.pid) in err
        assert len(big_server.state.requests) == mark  # refused before any request
        assert main(["analyse", "--data-dir", str(paths.root)]) == 2
        capsys.readouterr()
        assert main(["status", "--data-dir", str(paths.root)]) == 0  # a reader does not wait
        assert main(["validate", "--data-dir", str(paths.root)]) == 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    big_server.state.plan.clear()
    assert main(["update", "--condition", "neck_pain", "--data-dir", str(paths.root)]) == 0
    hits = PubmedStore(paths.pubmed).hits()
    assert set(hits["pmid"]) == set(big_server.state.search_ids)


# -- 2. bounded waiting --------------------------------------------------------------------------
def test_backoff_never_sleeps_past_the_deadline(server):
    from evidence.http import Deadline, DeadlineExceeded

    slept = []
    client = make_client(server, max_attempts=6)
    client._sleep = slept.append
    client.settings = client.settings.__class__(
        **{**client.settings.__dict__, "backoff_base": 50.0, "backoff_max": 60.0}
    )
    client.deadline = Deadline(5.0)
    server.state.plan["esearch"] = ["503"] * 6
    with pytest.raises(DeadlineExceeded, match="deadline"):
        client.esearch("neck pain")
    assert slept == [] and len(server.state.requests) == 1


def test_a_silent_server_costs_at_most_the_deadline(server):
    from evidence.http import Deadline, DeadlineExceeded

    client = make_client(server, timeout=30.0)
    client.deadline = Deadline(0.5)
    server.state.plan["esearch"] = ["silent"] * 6
    with pytest.raises(DeadlineExceeded):
        client.esearch("neck pain")
    assert [r.utility for r in server.state.requests] == ["esearch"]


def test_report_against_a_server_that_stops_answering_uses_the_snapshot(tmp_path, server, monkeypatch, capsys):
    from evidence.jobs.main import run_main_job

    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    server.state.plan["esearch"] = ["silent"] * 100  # einfo (the probe) answers, every search hangs
    paths = copy_data(tmp_path / "data")
    before = {p.name: p.read_bytes() for p in paths.pubmed.glob("*.csv")}
    assert run_main_job(paths, execute_notebooks=False, refresh=True, deadline=1.0) == 0
    out = capsys.readouterr().out
    assert "deadline" in out and "committed PubMed snapshot" in out
    assert [r.utility for r in server.state.requests] == ["einfo", "esearch"]  # no search after the deadline
    assert {p.name: p.read_bytes() for p in paths.pubmed.glob("*.csv")} == before


def test_report_and_update_refuse_a_deadline_that_is_not_positive(tmp_path, capsys):
    paths = copy_data(tmp_path / "data")
    assert main(["report", "--offline", "--deadline", "0", "--data-dir", str(paths.root)]) == 2
    assert "--deadline" in capsys.readouterr().err


# -- 3. PubMed's formats -------------------------------------------------------------------------
def _store_with_handwritten(data_dir):
    from evidence.pubmed.parser import parse_pubmed_xml

    store = PubmedStore(data_dir / "pubmed")
    records = [{**r, "title": "old title"} for r in parse_pubmed_xml(HANDWRITTEN) if not r["deleted"]]
    store.upsert_records([*records, {"pmid": "90000099", "title": "to be deleted", "deleted": False}], "2025-01-01")
    store.record_hits("neck_pain", [r["pmid"] for r in records] + ["90000099"], "2025-01-01")
    return store, len(records)


def test_import_reads_gzipped_files(data_dir, capsys):
    store, n = _store_with_handwritten(data_dir)
    gz = data_dir / "pubmed23n0001.xml.gz"
    gz.write_bytes(gzip.compress(HANDWRITTEN.read_bytes()))
    assert main(["import", str(gz), "--data-dir", str(data_dir)]) == 0
    assert f"{n} stored record(s) replaced, 1 deleted" in capsys.readouterr().out
    assert "old title" not in set(store.records()["title"])


def test_import_of_a_truncated_gz_or_malformed_xml_exits_2_naming_the_file(data_dir, capsys):
    store, _ = _store_with_handwritten(data_dir)
    before = store.records_path.read_bytes()
    data = gzip.compress(HANDWRITTEN.read_bytes())
    truncated = data_dir / "cut.xml.gz"
    truncated.write_bytes(data[: len(data) // 2])
    malformed = data_dir / "bad.xml"
    malformed.write_bytes(HANDWRITTEN.read_bytes()[:300])
    for path in (truncated, malformed):
        assert main(["import", str(path), "--data-dir", str(data_dir)]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and "Traceback" not in err
    assert store.records_path.read_bytes() == before


def test_deleted_citations_take_their_search_hits_with_them_and_are_logged(data_dir, capsys):
    store, _ = _store_with_handwritten(data_dir)
    assert main(["import", str(HANDWRITTEN), "--data-dir", str(data_dir)]) == 0
    assert "90000099" not in set(store.hits()["pmid"])
    deletions = store.deletions()
    assert list(deletions["pmid"]) == ["90000099"] and deletions.iloc[0]["search_ids"] == "neck_pain"
    assert deletions.iloc[0]["source_file"] == HANDWRITTEN.name


# -- 4. honest "what's new" ----------------------------------------------------------------------
def test_new_is_counted_per_search(server, data_dir):
    run(server, data_dir, condition="all_dry_needling")
    summary = run(server, data_dir, condition="neck_pain")
    assert summary.new == list(server.state.search_ids)
    log = PubmedStore(data_dir / "pubmed").log().set_index("search_id")
    assert log.loc["neck_pain", "new_pmids_n"] == str(len(server.state.search_ids))
    assert [r.utility for r in server.state.requests].count("efetch") == 1  # records are still fetched once


def test_a_killed_fetch_and_a_rerun_report_the_same_new_records(big_server, data_dir):
    proc = start_slow_update(big_server, data_dir)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    big_server.state.plan.clear()
    run(big_server, data_dir)
    log = PubmedStore(data_dir / "pubmed").log()
    assert list(log["new_pmids_n"]) == ["420"]


def test_a_crash_between_hits_and_log_is_completed_from_the_journal(server, data_dir, monkeypatch):
    def crash(self, row):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(PubmedStore, "append_log", crash)
        with pytest.raises(OSError):
            run(server, data_dir)
    store = PubmedStore(data_dir / "pubmed")
    assert len(store.hits()) == len(server.state.search_ids) and store.log().empty
    summary = run(server, data_dir)
    assert summary.new == list(server.state.search_ids)
    assert list(store.log()["new_pmids_n"]) == [str(len(server.state.search_ids))]
    assert not list((data_dir / "pubmed").glob("*journal*"))


def test_status_shows_new_records_per_condition(server, tmp_path):
    from evidence.curation.schema import load_curated
    from evidence.pubmed.status import status_text

    paths = copy_data(tmp_path / "data")
    run(server, paths.root, condition="all_dry_needling")
    run(server, paths.root, condition="neck_pain")
    text = status_text(paths, load_curated(paths.curated).studies)
    n = len(server.state.search_ids)
    assert "new records per condition" in text
    assert any(line.split()[:2] == ["neck_pain", str(n)] for line in text.splitlines())


# -- 6. one exit-code policy ---------------------------------------------------------------------
def test_a_bad_batch_size_exits_2_before_any_request(server, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    assert main(["update", "--batch-size", "10", "--data-dir", str(data_dir)]) == 2
    assert "--batch-size" in capsys.readouterr().err
    assert server.state.requests == []


def test_a_missing_data_directory_is_one_line(tmp_path, capsys):
    assert main(["status", "--data-dir", str(tmp_path / "typo")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: no such directory: {tmp_path / 'typo'}"]


def test_a_closed_stdout_pipe_ends_quietly():
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    status = subprocess.Popen(
        [sys.executable, "-m", "evidence", "status"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    status.stdout.close()  # what `| head` does once it has its lines, here before status prints any
    err = status.stderr.read().decode()
    assert status.wait() == 0 and err == ""


# -- 7. normal permissions -----------------------------------------------------------------------
def test_atomic_writes_get_the_mode_the_umask_gives(tmp_path):
    from evidence.tables import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.csv", b"x\n")
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "b.csv", b"x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o640

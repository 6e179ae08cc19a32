"""Nothing lost, nothing hangs (issue 12): one writer at a time, bounded waiting, PubMed's gzipped
files and deletions, honest "what's new" counts, one exit-code policy, normal file modes.

Each test reproduces one way a user broke the tracker, against the local E-utilities server
where it needs a network."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
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


# == issue 21: nothing mixed up, nothing half-written ============================================
# -- 4. import of the wrong file -----------------------------------------------------------------
def test_import_of_xml_that_is_not_pubmed_exits_2_saying_what_it_expected(data_dir, capsys):
    store, _ = _store_with_handwritten(data_dir)
    before = store.records_path.read_bytes()
    wrong = data_dir / "esearch.xml"
    wrong.write_text('<?xml version="1.0"?>\n<eSearchResult><Count>0</Count><IdList/></eSearchResult>\n')
    assert main(["import", str(wrong), "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert str(wrong) in err and "<PubmedArticleSet>" in err and "<eSearchResult>" in err
    assert len(err.strip().splitlines()) == 1
    assert store.records_path.read_bytes() == before


def test_import_of_a_pubmed_file_that_matches_nothing_stored_says_so(data_dir, capsys):
    from evidence.pubmed.parser import parse_pubmed_xml

    n = len(list(parse_pubmed_xml(HANDWRITTEN)))
    assert main(["import", str(HANDWRITTEN), "--data-dir", str(data_dir)]) == 0
    assert f"{n} record(s) read, none stored here; `update` adds records" in capsys.readouterr().out


# -- 6. --data-dir X uses X's lexicon ------------------------------------------------------------
def test_the_full_text_view_of_a_document_uses_the_lexicon_of_the_data_directory(tmp_path, shared, capsys):
    """A patient document's every sentence, flagged, is the wording checker's view (the report's document
    pages are built from the claims register and read no lexicon): ``check-wording --data-dir X`` checks it
    with X's lexicon."""
    import json

    import yaml

    document = sorted(shared("patient-materials", "patient materials").glob("*.txt"))[0]
    paths = copy_data(tmp_path / "data")

    def flagged() -> int:
        main(["check-wording", str(document), "--format", "json", "--data-dir", str(paths.root)])
        return sum(f["flagged"] for f in json.loads(capsys.readouterr().out))

    with_project_lexicon = flagged()
    lexicon = paths.curated / "wording_lexicon.yaml"
    raw = yaml.safe_load(lexicon.read_text(encoding="utf-8"))
    # X's lexicon: no sentence names dry needling, and no page is about it
    raw["subjects"] = raw["page_subjects"] = [r"\bno such subject\b"]
    lexicon.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert with_project_lexicon > 0 and flagged() < with_project_lexicon


# -- 5. a failed refresh is not a success --------------------------------------------------------
@pytest.mark.parametrize("status", ["404", "503"])
def test_report_against_a_server_that_answers_errors_builds_from_the_snapshot_and_exits_1(
    tmp_path, server, monkeypatch, capsys, status
):
    from evidence.jobs.main import run_main_job

    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    server.state.always = status  # a proxy answering every request with this status
    paths = copy_data(tmp_path / "data")
    before = {p.name: p.read_bytes() for p in paths.pubmed.glob("*.csv")}
    assert run_main_job(paths, execute_notebooks=False, refresh=True, deadline=60.0) == 1
    out = capsys.readouterr().out
    assert "REFRESH FAILED" in out and f"HTTP {status}" in out and "committed PubMed snapshot" in out
    assert [r.utility for r in server.state.requests] == ["einfo"]  # gave up at once, not at the deadline
    assert (paths.report / "index.html").exists()
    assert {p.name: p.read_bytes() for p in paths.pubmed.glob("*.csv")} == before


def test_report_gives_up_after_two_searches_answered_with_errors(tmp_path, server, monkeypatch, capsys):
    from evidence.jobs.main import run_main_job

    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    server.state.plan["esearch"] = ["404"] * 100  # the probe is answered, every search refused
    paths = copy_data(tmp_path / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=True) == 1
    out = capsys.readouterr().out
    assert "giving up: 2 searches failed in a row" in out and "REFRESH FAILED" in out
    assert [r.utility for r in server.state.requests] == ["einfo", "esearch", "esearch"]


@pytest.mark.parametrize(("action", "answered"), [("503", True), ("drop", False)])
def test_repeated_failures_stop_the_searches_and_say_whether_eutilities_answered(server, data_dir, action, answered):
    from evidence.pubmed.update import GIVE_UP_AFTER, update_searches

    client = make_client(server, max_attempts=2)
    server.state.plan["esearch"] = [action] * 100
    defs = load_search_definitions(DataPaths(data_dir).searches)
    run_ = update_searches(
        client, defs, PubmedStore(DataPaths(data_dir).pubmed), defs.ids, echo=lambda _: None, keep_going=True
    )
    assert not run_.summaries and set(run_.failed) == set(defs.ids)
    assert [r.utility for r in server.state.requests] == ["esearch"] * (2 * GIVE_UP_AFTER)
    assert run_.answered_errors == (defs.ids[:GIVE_UP_AFTER] if answered else [])


# -- 1. two trials under one study id ------------------------------------------------------------
def _rename_study(curated, old: str, new: str) -> None:
    """What a clinical lead does by hand: every study_id ``old`` in every curated table becomes ``new``;
    the old id's row of authors.csv (keyed by ``id``) goes, since no trial has that id any more."""
    from evidence.tables import read_csv, write_csv

    for path in sorted(curated.glob("*.csv")):
        frame = read_csv(path)
        if "study_id" in frame.columns and (frame["study_id"] == old).any():
            frame.loc[frame["study_id"] == old, "study_id"] = new
            write_csv(frame, path)
        elif path.name == "authors.csv" and (frame["id"] == old).any():
            write_csv(frame[frame["id"] != old], path)


def test_two_trials_sharing_a_study_id_fail_validation_naming_both_rows(tmp_path, capsys):
    from evidence.tables import read_csv

    paths = copy_data(tmp_path / "data")
    studies = read_csv(paths.curated / "studies.csv")
    # a plantar heel pain trial renamed to a fibromyalgia trial's id (neither has a risk-of-bias row)
    _rename_study(paths.curated, "Bagcier2020", "Casanueva2014")
    rows = [i + 2 for i in studies.index[studies["study_id"].isin(["Casanueva2014", "Bagcier2020"])]]
    assert main(["validate", "--data-dir", str(paths.root)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"studies.csv, row {max(rows)}, column study_id: id 'Casanueva2014'")
    assert f"studies.csv, row {min(rows)}" in out[0] and "same trial" in out[0]


def test_a_trial_under_two_conditions_shares_its_id_legitimately(tmp_path, capsys):
    from evidence.tables import read_csv

    paths = copy_data(tmp_path / "data")
    studies = read_csv(paths.curated / "studies.csv")
    shared_ids = studies.loc[studies["study_id"].duplicated(), "study_id"]
    assert len(shared_ids) >= 1  # the committed data has one (Anjana2023: neck pain and myofascial pain)
    assert main(["validate", "--data-dir", str(paths.root)]) == 0


# -- 2. one error, one line ----------------------------------------------------------------------
def _cp1252(curated):
    path = curated / "studies.csv"
    text = path.read_text(encoding="utf-8")
    data = text.encode("cp1252", errors="replace")  # what a spreadsheet saving in Windows-1252 leaves
    first = next(i for i, b in enumerate(data) if b > 127)
    line_no = data.count(b"\n", 0, first) + 1
    path.write_bytes(data)
    return f"studies.csv, row {line_no}: cannot be read: not UTF-8 (byte 0x{data[first]:02x}"


def _missing_column(curated):
    path = curated / "studies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("study_id,condition_id,", "study_id,condition,", 1), encoding="utf-8")
    return "studies.csv, row 1: header does not match the schema: missing condition_id; unexpected condition"


def _document_typo(curated):
    path = curated / "documents.csv"
    text = path.read_text(encoding="utf-8")
    name = text.splitlines()[1].split(",")[0]
    path.write_text(text.replace(name, name.removesuffix(".txt") + ".tx", 1), encoding="utf-8")
    return f"documents.csv, row 2, column document: {name.removesuffix('.txt') + '.tx'!r} is a document of no claim"


@pytest.mark.parametrize("breakage", [_cp1252, _missing_column, _document_typo])
def test_a_file_that_cannot_be_read_is_one_line_naming_it(tmp_path, capsys, breakage):
    paths = copy_data(tmp_path / "data")
    expected = breakage(paths.curated)
    assert main(["validate", "--data-dir", str(paths.root)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(expected), out[:5]


# -- 3. a run is all or nothing ------------------------------------------------------------------
def _derived_files(paths) -> dict[str, bytes]:
    return {str(p.relative_to(paths.derived)): p.read_bytes() for p in sorted(paths.derived.rglob("*")) if p.is_file()}


#: kept across builds (each run adds to it), so it stays a valid table here
CARRIED = "change_log.csv"


def _stale(paths) -> dict[str, bytes]:
    """Mark every rebuilt derived table as an earlier run's (so that a rewrite shows); return the files."""
    for table in paths.derived.glob("*.csv"):
        if table.name != CARRIED:
            table.write_bytes(b"an earlier run\n")
    return _derived_files(paths)


def _fail_after(monkeypatch, module, name: str, n: int) -> None:
    """``module.name`` (a writer) raises once it has written ``n`` files."""
    real, calls = getattr(module, name), []

    def writer(*args, **kwargs):
        if len(calls) == n:
            raise OSError("disk full (test)")
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, writer)


def test_analyse_failing_part_way_leaves_derived_wholly_old(tmp_path, monkeypatch, capsys):
    from evidence.jobs import analyse

    paths = copy_data(tmp_path / "data")
    before = _stale(paths)
    _fail_after(monkeypatch, analyse, "write_csv", 4)
    assert main(["analyse", "--data-dir", str(paths.root)]) == 1
    assert "disk full" in capsys.readouterr().err
    assert _derived_files(paths) == before
    assert not list(paths.root.glob(".derived-staging-*"))
    monkeypatch.undo()
    assert main(["analyse", "--data-dir", str(paths.root)]) == 0
    after = _derived_files(paths)
    rebuilt = [f for f in before if f.endswith(".csv") and "/" not in f and f != CARRIED]
    assert after.keys() == before.keys() and rebuilt and all(after[f] != before[f] for f in rebuilt)


def test_report_failing_part_way_leaves_derived_wholly_old(tmp_path, monkeypatch):
    from evidence.jobs.main import run_main_job
    from evidence.report import render

    paths = copy_data(tmp_path / "data")
    before = _stale(paths)
    _fail_after(monkeypatch, render, "atomic_write_bytes", 10)  # the report: 10 pages written, then a failure
    with pytest.raises(OSError, match="disk full"):
        run_main_job(paths, execute_notebooks=False, refresh=False)
    assert _derived_files(paths) == before and not paths.report.exists()
    assert not list(paths.root.glob(".derived-staging-*"))


def test_a_run_killed_between_the_two_renames_is_completed_by_the_next(tmp_path, capsys):
    paths = copy_data(tmp_path / "data")
    staging = paths.root / ".derived-staging-killed"
    staging.mkdir()
    paths.derived.rename(staging / "old")  # the swap's first rename happened, the second did not
    shutil.copytree(staging / "old", staging / "derived")
    built = _derived_files(DataPaths(staging))
    assert main(["analyse", "--data-dir", str(paths.root)]) == 0
    assert _derived_files(paths) == built and not list(paths.root.glob(".derived-staging-*"))


def test_analyse_killed_part_way_leaves_derived_wholly_old(tmp_path):
    import time

    paths = copy_data(tmp_path / "data")
    before = _stale(paths)
    proc = subprocess.Popen(
        [sys.executable, "-m", "evidence", "analyse", "--data-dir", str(paths.root)],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    # kill -9 as soon as the first table of the new run is written (the figures come after it)
    while not any(p.read_bytes() != before["effects.csv"] for p in paths.root.rglob("effects.csv")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _derived_files(paths) == before
    assert main(["analyse", "--data-dir", str(paths.root)]) == 0  # the next run clears the staging folder
    assert not list(paths.root.glob(".derived-staging-*"))

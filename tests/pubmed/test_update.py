"""Incremental update end to end against the local E-utilities server."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from evidence.cli import main
from evidence.config import DataPaths
from evidence.curation.searches import load_search_definitions
from evidence.pubmed.eutils import EutilsError
from evidence.pubmed.store import PubmedStore
from evidence.pubmed.update import update_search
from tests.conftest import make_client, needs_shared, start_slow_update

DAY1, DAY2 = dt.date(2026, 1, 5), dt.date(2026, 2, 9)


def run(server, data_dir, today=DAY1, **kw):
    client = make_client(server)
    defs = load_search_definitions(DataPaths(data_dir).searches)
    return update_search(
        client, defs, PubmedStore(DataPaths(data_dir).pubmed), "neck_pain", today=today, progress=False, **kw
    ), client


def snapshot(data_dir):
    return {p.name: p.read_bytes() for p in sorted((data_dir / "pubmed").glob("*.csv"))}


def test_first_update_writes_sorted_tables_and_log(server, data_dir):
    summary, client = run(server, data_dir)
    store = PubmedStore(data_dir / "pubmed")
    records, hits, log = store.records(), store.hits(), store.log()
    ids = server.state.search_ids
    assert list(records.columns)[0] == "pmid"
    assert sorted(records["pmid"], key=int) == list(records["pmid"]) and set(records["pmid"]) == set(ids)
    assert set(hits["pmid"]) == set(ids) and set(hits["first_seen"]) == {DAY1.isoformat()}
    row = log.iloc[0]
    assert row["search_id"] == "neck_pain" and row["count"] == str(len(ids)) and row["new_pmids_n"] == str(len(ids))
    assert "Neck Pain" in row["query"] and "randomized controlled trial [pt]" in row["query"]
    assert row["software_version"] and summary.new == ids


def test_rerun_with_nothing_new_makes_no_efetch_and_is_byte_identical(server, data_dir):
    run(server, data_dir)
    before = snapshot(data_dir)
    n_requests = len(server.state.requests)
    summary, _ = run(server, data_dir)
    after_requests = server.state.requests[n_requests:]
    assert [r.utility for r in after_requests] == ["esearch"]
    assert summary.new == [] and snapshot(data_dir) == before


def test_budget_one_esearch_plus_ceil_new_over_batch(big_server, data_dir):
    run(big_server, data_dir)
    utilities = [r.utility for r in big_server.state.requests]
    assert utilities.count("esearch") == 1 and utilities.count("efetch") == 3  # ceil(420 / 200)


def test_incremental_update_fetches_only_new_and_logs_them(server, data_dir):
    all_ids = list(server.state.search_ids)
    server.state.search_ids = all_ids[:-3]
    run(server, data_dir)
    server.state.search_ids = all_ids
    mark = len(server.state.requests)
    summary, _ = run(server, data_dir, today=DAY2)
    efetch = [r for r in server.state.requests[mark:] if r.utility == "efetch"]
    assert len(efetch) == 1 and efetch[0].params["id"].split(",") == all_ids[-3:]
    assert summary.new == all_ids[-3:]
    hits = PubmedStore(data_dir / "pubmed").hits().set_index("pmid")
    assert (
        hits.loc[all_ids[0], "first_seen"] == DAY1.isoformat() and hits.loc[all_ids[0], "last_seen"] == DAY2.isoformat()
    )
    assert hits.loc[all_ids[-1], "first_seen"] == DAY2.isoformat()
    log = PubmedStore(data_dir / "pubmed").log()
    assert list(log["new_pmids_n"]) == [str(len(all_ids) - 3), "3"]


def test_refresh_flags_records_that_became_retracted(server, data_dir):
    from lxml import etree

    run(server, data_dir)
    pmid = server.state.search_ids[0]
    article = etree.fromstring(server.state.articles[pmid])
    types = article.find("MedlineCitation/Article/PublicationTypeList")
    etree.SubElement(types, "PublicationType").text = "Retracted Publication"
    server.state.articles[pmid] = etree.tostring(article)
    summary, _ = run(server, data_dir, today=DAY2)
    assert summary.newly_retracted == []  # no refresh asked: stored records are not re-fetched
    summary, _ = run(server, data_dir, today=DAY2, refresh_days=30)
    assert summary.newly_retracted == [pmid] and summary.refreshed == len(server.state.search_ids)
    records = PubmedStore(data_dir / "pubmed").records().set_index("pmid")
    assert records.loc[pmid, "retracted"] == "true" and records.loc[pmid, "fetched_on"] == DAY2.isoformat()


def test_failed_batch_leaves_earlier_batches_and_resume_completes(big_server, data_dir):
    big_server.state.plan["efetch"] = ["ok", "503", "503", "503", "503"]
    with pytest.raises(EutilsError):
        run(big_server, data_dir)
    store = PubmedStore(data_dir / "pubmed")
    assert len(store.records()) == 200 and store.log().empty
    run(big_server, data_dir)
    records = store.records()
    assert len(records) == 420 and records["pmid"].is_unique


def test_update_killed_midway_resumes_without_duplicates_or_gaps(big_server, data_dir):
    proc = start_slow_update(big_server, data_dir)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = PubmedStore(data_dir / "pubmed")
    assert len(store.records()) == 200  # the first batch, complete; nothing half-written
    assert not list((data_dir / "pubmed").glob(".*.tmp"))
    big_server.state.plan.clear()
    run(big_server, data_dir)
    records = store.records()
    assert records["pmid"].is_unique and set(records["pmid"]) == set(big_server.state.search_ids)


def test_cli_update_without_email_exits_2(data_dir, monkeypatch, capsys):
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    assert main(["update", "--data-dir", str(data_dir)]) == 2
    assert "NCBI_EMAIL" in capsys.readouterr().err


def test_cli_update_unknown_condition_exits_2(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("NCBI_EMAIL", "a@b.org")
    assert main(["update", "--condition", "elbow_knee", "--data-dir", str(data_dir)]) == 2
    assert "unknown condition id 'elbow_knee'" in capsys.readouterr().err


def test_cli_update_against_server_prints_summary(server, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("NCBI_EMAIL", "a@b.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    assert main(["update", "--condition", "neck_pain", "--no-rct-filter", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert f"neck_pain.unfiltered: {len(server.state.search_ids)} found" in out
    log = PubmedStore(data_dir / "pubmed").log()
    assert log.iloc[0]["rct_filter"] == "false" and "randomized controlled trial [pt]" not in log.iloc[0]["query"]


def test_cli_failure_exits_1(server, data_dir, monkeypatch, capsys):
    needs_shared()
    monkeypatch.setenv("NCBI_EMAIL", "a@b.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    server.state.plan["esearch"] = ["error-body"]
    assert main(["update", "--condition", "neck_pain", "--data-dir", str(data_dir)]) == 1
    assert "failed:" in capsys.readouterr().err


def test_update_file_replaces_stored_records_and_applies_deletions(tmp_path):
    needs_shared()
    from evidence.pubmed.parser import parse_pubmed_xml
    from evidence.pubmed.update import apply_pubmed_file
    from tests.eutils_server import EUTILS_FIXTURES

    sample = EUTILS_FIXTURES / "fatcat" / "pubmedsample_2019.xml"
    store = PubmedStore(tmp_path / "pubmed")
    deleted_pmids = [r["pmid"] for r in parse_pubmed_xml(sample) if r["deleted"]]
    stale = {"pmid": "8655018", "title": "old title", "retracted": False, "deleted": False}
    gone = [{"pmid": p, "title": "to be deleted", "deleted": False} for p in deleted_pmids[:2]]
    store.upsert_records([stale, *gone], "2025-01-01")
    result = apply_pubmed_file(store, sample, DAY1)
    records = store.records().set_index("pmid")
    assert result.replaced == 1 and sorted(result.deleted) == sorted(deleted_pmids[:2])
    assert result.retracted == ["8655018"] and result.read == len(list(parse_pubmed_xml(sample)))
    assert list(records.index) == ["8655018"] and records.loc["8655018", "title"] != "old title"


def test_api_key_never_written_to_any_file(server, data_dir, monkeypatch, capsys):
    secret = "SECRETKEY0123456789abcdef"
    monkeypatch.setenv("NCBI_EMAIL", "a@b.org")
    monkeypatch.setenv("NCBI_API_KEY", secret)
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    server.state.plan["esearch"] = ["429"]
    assert main(["-v", "update", "--condition", "neck_pain", "--data-dir", str(data_dir)]) == 0
    assert all(r.params.get("api_key") == secret for r in server.state.requests)  # it was used...
    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert written and not [p for p in written if secret in p.read_text(errors="ignore")]  # ...never stored
    out = capsys.readouterr()
    assert secret not in out.out + out.err

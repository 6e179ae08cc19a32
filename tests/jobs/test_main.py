"""The main job (``python -m evidence report``) on a temporary copy of ``data/``: its steps, its
exit codes, and the refresh against a local E-utilities server or none."""

from __future__ import annotations

from evidence.curation.searches import load_search_definitions
from evidence.jobs.main import run_main_job
from evidence.tables import read_csv
from tests.conftest import copy_data
from tests.report.test_render import parse


def test_main_job_prints_each_step_and_the_index(tmp_path, capsys):
    paths = copy_data(tmp_path / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=False) == 0
    out = capsys.readouterr().out
    for step in ("validate", "refresh", "registry", "rebuild", "notebooks", "report"):
        assert any(line.startswith(step) and " s  " in line for line in out.splitlines()), step
    assert "committed PubMed snapshot" in out
    assert "uses the committed registry snapshot: --offline" in out
    assert f"report: {(paths.derived / 'report' / 'index.html').resolve()}" in out


def test_refresh_says_why_it_uses_the_snapshot(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    paths = copy_data(tmp_path / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=True) == 0
    assert "uses the committed PubMed snapshot: NCBI_EMAIL is not set" in capsys.readouterr().out
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", "http://127.0.0.1:9/")  # the discard port: nothing listens
    assert run_main_job(paths, execute_notebooks=False, refresh=True) == 0
    out = capsys.readouterr().out
    assert "network unreachable" in out
    assert "uses the committed registry snapshot: network unreachable, no answer from http://127.0.0.1:9/" in out


def test_registry_refresh_from_a_local_server_feeds_the_cross_check(tmp_path, monkeypatch, capsys):
    from tests.ctgov_server import CtgovServer

    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    paths = copy_data(tmp_path / "data")
    with CtgovServer() as ctgov:
        monkeypatch.setenv("EVIDENCE_CTGOV_URL", ctgov.url)
        assert run_main_job(paths, execute_notebooks=False, refresh=True) == 0
    out = capsys.readouterr().out
    ids = load_search_definitions(paths.searches).ids
    assert f"refreshed from ClinicalTrials.gov: {len(ids)} of {len(ids)} search(es)" in out
    assert "fetched row(s) differ from the curated seed" in out
    crosscheck = read_csv(paths.derived_table("registry")).set_index(["condition_id", "nct_id"])
    assert crosscheck.loc[("neck_pain", "NCT02219386"), "origin"] == "fetched"
    assert crosscheck.loc[("neck_pain", "NCT02219386"), "linked_pmids"] == "27582622"
    assert crosscheck.loc[("neck_pain", "NCT02731014"), "origin"] == "curated"  # not returned: the seed row stays


def test_invalid_curated_data_stops_the_job_with_2(tmp_path, capsys):
    paths = copy_data(tmp_path / "data")
    studies = read_csv(paths.curated / "studies.csv")
    studies.loc[0, "decision"] = "maybe"
    studies.to_csv(paths.curated / "studies.csv", index=False)
    assert run_main_job(paths, execute_notebooks=False, refresh=False) == 2
    out = capsys.readouterr().out
    assert "studies.csv, row 2, column decision" in out
    assert not (paths.derived / "report" / "index.html").exists()


def test_refresh_from_a_local_server_fills_the_provenance_page(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.setenv("NCBI_API_KEY", "test-key")
    monkeypatch.setenv("EVIDENCE_EUTILS_URL", server.url)
    paths = copy_data(tmp_path / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=True) == 0
    assert "refreshed from PubMed" in capsys.readouterr().out
    log = read_csv(paths.pubmed / "search_log.csv")
    assert len(log) >= len(load_search_definitions(paths.searches).ids)
    doc = parse(paths.derived / "report" / "provenance.html")
    assert len(doc.xpath('//section[@id="log"]//tbody/tr')) == len(log)
    new = [p for p in log["new_pmids"].iloc[0].split("; ") if p]
    assert new and f"https://pubmed.ncbi.nlm.nih.gov/{new[0]}/" in doc.xpath('//section[@id="changes"]//a/@href')
    # new records per condition: each condition's row counts what its own searches had not retrieved before
    rows = doc.xpath('//table[@id="new-by-condition"]/tbody/tr')
    shown = {r.xpath("string(td[1])"): int(r.xpath("string(td[3])")) for r in rows}
    labels = {c.id: c.label for c in load_search_definitions(paths.searches).conditions}
    for cid in set(log["condition_id"]):
        mine = log[log["condition_id"] == cid]
        assert shown[labels[cid]] == len({p for t in mine["new_pmids"] for p in t.split("; ") if p})


def test_registry_refresh_searches_the_conditions_searched_longest_ago_first(tmp_path, monkeypatch):
    from evidence.curation.inputs import load_inputs
    from evidence.jobs.main import refresh_registry
    from evidence.registry.store import RegistryStore
    from tests.ctgov_server import CtgovServer

    paths = copy_data(tmp_path / "data")
    inputs = load_inputs(paths)
    first, *rest = inputs.definitions.ids
    RegistryStore(paths.registry).append_log({"date": "2026-12-01", "condition_id": first, "new_nct_ids_n": 1})
    lines = []
    with CtgovServer() as ctgov:
        monkeypatch.setenv("EVIDENCE_CTGOV_URL", ctgov.url)
        text = refresh_registry(inputs, lines.append)
    assert text.startswith(f"refreshed from ClinicalTrials.gov: {len(rest) + 1} of {len(rest) + 1} search(es)")
    assert [line.split(":")[0].strip() for line in lines] == [*rest, first]

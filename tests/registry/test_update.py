"""The registry update fills data/registry/ from the local v2 server: per condition, incremental,
logged, and the ``registry`` command prints where fetched rows differ from the curated seed."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from evidence.cli import main
from evidence.curation.searches import load_search_definitions
from evidence.http import Deadline
from evidence.registry.store import RegistryStore
from evidence.registry.update import update_registry
from tests.paths import PROJECT
from tests.registry.conftest import make_registry_client

DAY = dt.date(2026, 12, 6)
CONDITIONS = ["neck_pain", "plantar_heel_pain", "lateral_elbow_tendinopathy"]


@pytest.fixture
def definitions():
    return load_search_definitions(PROJECT / "data/curated/searches.yaml")


def test_update_fills_the_tables_per_condition_and_logs_each_query(ctgov, definitions, tmp_path):
    store = RegistryStore(tmp_path / "registry")
    client = make_registry_client(ctgov)
    lines = []
    run = update_registry(client, definitions, store, CONDITIONS, echo=lines.append, today=DAY, page_size=2)
    rows = store.registrations()
    by_condition = rows.groupby("condition_id")["nct_id"].apply(list).to_dict()
    assert by_condition == {
        "lateral_elbow_tendinopathy": ["NCT02710682", "NCT03167710", "NCT07042997"],
        "neck_pain": ["NCT02219386", "NCT03844802", "NCT04851067"],
        "plantar_heel_pain": ["NCT02373618", "NCT03236779"],
    }
    assert set(rows["fetched_on"]) == {"2026-12-06"} and set(rows["origin"]) == {"fetched"}
    log = store.log()
    assert list(log["condition_id"]) == CONDITIONS
    assert list(log["count"]) == ["3", "2", "3"] and list(log["new_nct_ids_n"]) == ["3", "2", "3"]
    assert log.iloc[0]["query_intr"] == "dry needling" and log.iloc[0]["query_cond"].startswith('"neck pain"')
    assert lines[0] == "neck_pain: 3 registered, 3 retrieved, 3 new" and run.new == 8
    assert client.requests_made == 2 + 1 + 2  # pages of two


def test_a_rerun_adds_nothing_and_leaves_the_files_byte_identical(ctgov, definitions, tmp_path):
    store = RegistryStore(tmp_path / "registry")
    update_registry(make_registry_client(ctgov), definitions, store, CONDITIONS, echo=lambda _: None, today=DAY)
    before = (store.registrations_path.read_bytes(), store.log_path.read_bytes())
    run = update_registry(make_registry_client(ctgov), definitions, store, CONDITIONS, echo=lambda _: None, today=DAY)
    assert run.new == 0
    assert (store.registrations_path.read_bytes(), store.log_path.read_bytes()) == before


def test_a_failing_condition_is_reported_and_the_others_run(ctgov, definitions, tmp_path):
    ctgov.state.plan = ["500", "500", "500"]
    store = RegistryStore(tmp_path / "registry")
    lines = []
    run = update_registry(
        make_registry_client(ctgov), definitions, store, CONDITIONS, echo=lines.append, keep_going=True, today=DAY
    )
    assert list(run.failed) == ["neck_pain"] and "HTTP 500" in run.failed["neck_pain"]
    assert sorted(set(store.registrations()["condition_id"])) == sorted(CONDITIONS[1:])
    with pytest.raises(Exception, match="deadline"):
        update_registry(
            make_registry_client(ctgov, deadline=Deadline(0)), definitions, store, CONDITIONS, echo=lambda _: None
        )


def test_registry_command_fills_the_tables_and_reports_differences(ctgov, tmp_path, monkeypatch, capsys):
    (tmp_path / "curated").mkdir()
    for name in ("searches.yaml", "registrations.csv"):
        shutil.copy(PROJECT / "data/curated" / name, tmp_path / "curated" / name)
    monkeypatch.setenv("EVIDENCE_CTGOV_URL", ctgov.url)
    code = main(["registry", "--condition", "neck_pain", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "neck_pain: 3 registered, 3 retrieved, 3 new" in out
    # the server names NCT04851067's primary outcome in other words than the seed: reported, not silently replaced
    assert "neck_pain NCT04851067: primary_outcomes: curated 'NDI disability (per brief summary)'" in out
    assert (tmp_path / "registry" / "registrations.csv").exists()
    assert main(["registry", "--page-size", "0", "--data-dir", str(tmp_path)]) == 2

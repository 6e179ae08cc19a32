"""Status: the search-sensitivity check against the included studies, and unscreened records."""

from __future__ import annotations

import pandas as pd

from evidence.config import DataPaths
from evidence.curation.schema import load_curated
from evidence.pubmed.status import search_sensitivity, status_text, unscreened
from evidence.pubmed.store import PubmedStore
from tests.conftest import PROJECT


def studies(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"study_id": s, "condition_id": c, "pmid": p, "decision": d} for s, c, p, d in rows])


def test_sensitivity_says_retrieved_missed_or_not_searched(tmp_path):
    store = PubmedStore(tmp_path)
    store.record_hits("neck_pain", ["111", "222"], "2026-01-01")
    store.record_hits("neck_pain.unfiltered", ["333"], "2026-01-01")
    table = studies(
        ("A2020", "neck_pain", "111", "include"),
        ("B2021", "neck_pain", "333", "include"),
        ("C2019", "neck_pain", "444", "include"),
        ("D2018", "knee_pain", "555", "include"),
        ("E2017", "neck_pain", "222", "exclude"),
    )
    result = search_sensitivity(store.hits(), table).set_index("study_id")["retrieved"].to_dict()
    assert result == {"A2020": "yes", "B2021": "yes", "C2019": "no", "D2018": "not searched"}
    assert unscreened(store.hits(), table) == []
    assert unscreened(store.hits(), table.iloc[:1]) == ["222", "333"]


def _log_row(search_id: str, date: str, count: int, new: list[str]) -> dict:
    return {
        "date": date,
        "search_id": search_id,
        "condition_id": search_id.split(".")[0],
        "rct_filter": "true",
        "query": "q",
        "count": count,
        "retrieved": count,
        "new_pmids_n": len(new),
        "new_pmids": "; ".join(new),
    }


def test_status_text_reports_counts_last_runs_misses_and_unscreened(tmp_path):
    store = PubmedStore(DataPaths(tmp_path).pubmed)
    store.upsert_records([{"pmid": p, "retracted": p == "222"} for p in ("111", "222", "333")], "2026-01-02")
    store.record_hits("neck_pain", ["111", "222"], "2026-01-01")
    store.record_hits("neck_pain.unfiltered", ["333"], "2026-01-01")
    store.record_hits("knee_pain.unfiltered", ["666"], "2026-01-01")  # knee pain searched without the RCT filter only
    store.append_log(_log_row("neck_pain", "2026-01-01", 2, ["111", "222"]))
    store.append_log(_log_row("neck_pain.unfiltered", "2026-01-01", 1, ["333"]))
    store.append_log(_log_row("neck_pain", "2026-02-01", 2, []))
    table = studies(
        ("A2020", "neck_pain", "111", "include"),
        ("B2021", "neck_pain", "444", "include"),
        ("C2019", "knee_pain", "555", "include"),
        ("D2018", "neck_pain", "222", "exclude"),
        ("E2017", "neck_pain", "666", "include"),  # found, but by the knee search only
        ("F2016", "hip_pain", "777", "include"),
    )
    lines = status_text(DataPaths(tmp_path), table).splitlines()
    assert lines[1] == "PubMed records stored: 3 (retracted: 1)"
    assert lines[2] == "last run of each search (date, count, new):"
    assert lines[3].split() == ["neck_pain", "2026-02-01", "2", "0"]  # the newest run, not the first
    assert lines[4].split() == ["neck_pain.unfiltered", "2026-01-01", "1", "1"]
    # new per condition: the latest runs of its searches (filtered and unfiltered), so 333 but not 111/222
    assert lines[5] == "new records per condition in its searches' latest runs (not retrieved by them before):"
    assert lines[6].split() == ["neck_pain", "1", "(2026-02-01)"]
    assert lines[7] == (
        "included studies with a PMID: 5; retrieved by their condition's search: 1, missed: 3, "
        "condition not yet searched: 1"
    )
    assert lines[8:11] == [
        "  MISSED by search neck_pain: B2021 (PMID 444)",
        "  MISSED by search knee_pain: C2019 (PMID 555)",
        "  MISSED by search neck_pain: E2017 (PMID 666)",
    ]
    assert lines[11] == "retrieved records without a screening decision: 1"  # 333
    assert len(lines) == 12


def test_status_text_before_any_search_says_so(tmp_path):
    table = studies(("A2020", "neck_pain", "111", "include"))
    lines = status_text(DataPaths(tmp_path), table).splitlines()
    assert lines[1:] == [
        "PubMed records stored: 0 (retracted: 0)",
        (
            "no PubMed search has been run into this snapshot yet (run `python -m evidence update` with NCBI_EMAIL "
            "set and network access)"
        ),
        (
            "included studies with a PMID: 1; retrieved by their condition's search: 0, missed: 0, "
            "condition not yet searched: 1"
        ),
        "retrieved records without a screening decision: 0",
    ]


def test_status_text_on_the_committed_snapshot_agrees_with_the_store():
    paths = DataPaths(PROJECT / "data")
    store = PubmedStore(paths.pubmed)
    studies_table = load_curated(paths.curated).studies
    text = status_text(paths, studies_table)
    assert f"PubMed records stored: {len(store.records())} " in text
    assert f"included studies with a PMID: {len(search_sensitivity(store.hits(), studies_table))};" in text
    assert f"retrieved records without a screening decision: {len(unscreened(store.hits(), studies_table))}" in text

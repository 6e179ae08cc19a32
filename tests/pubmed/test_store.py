"""The machine-written PubMed tables: upserts, retractions, hits with first/last seen, the search log."""

from __future__ import annotations

from evidence.pubmed.store import LOG_COLUMNS, PubmedStore


def record(pmid: str, retracted: bool = False, **extra) -> dict:
    return {
        "pmid": pmid,
        "title": f"Title {pmid}",
        "year": 2020,
        "retracted": retracted,
        "mesh_terms": ["Neck Pain", "Dry Needling"],
        **extra,
    }


def test_upsert_sorts_numerically_replaces_and_reports_new_retractions(tmp_path):
    store = PubmedStore(tmp_path)
    assert store.upsert_records([record("100"), record("9"), record("25")], "2026-01-01") == []
    assert list(store.records()["pmid"]) == ["9", "25", "100"]  # numeric, not text order
    assert store.records().loc[0, "mesh_terms"] == "Neck Pain; Dry Needling"
    newly = store.upsert_records([record("25", retracted=True), record("300", retracted=True)], "2026-02-01")
    assert newly == ["25"]  # 300 was never stored unretracted
    records = store.records().set_index("pmid")
    assert records.loc["25", "retracted"] == "true" and records.loc["25", "fetched_on"] == "2026-02-01"
    assert records.loc["9", "fetched_on"] == "2026-01-01" and len(records) == 4


def test_delete_removes_the_named_records_and_their_hits_and_logs_it(tmp_path):
    store = PubmedStore(tmp_path)
    store.upsert_records([record("1"), record("2"), record("3")], "2026-01-01")
    store.record_hits("neck_pain", ["1", "2"], "2026-01-01")
    store.record_hits("knee_pain", ["2", "3"], "2026-01-01")
    store.delete_records(["2", "999"], "pubmed26n1500.xml.gz", "2026-02-01")
    assert list(store.records()["pmid"]) == ["1", "3"]
    assert sorted(zip(store.hits()["search_id"], store.hits()["pmid"])) == [("knee_pain", "3"), ("neck_pain", "1")]
    deletions = store.deletions().set_index("pmid")
    assert deletions.loc["2", "search_ids"] == "knee_pain; neck_pain"
    assert deletions.loc["2", "source_file"] == "pubmed26n1500.xml.gz" and deletions.loc["2", "date"] == "2026-02-01"


def test_hits_keep_first_seen_and_update_last_seen_per_search(tmp_path):
    store = PubmedStore(tmp_path)
    store.record_hits("neck_pain", ["5", "40"], "2026-01-01")
    store.record_hits("knee_pain", ["40"], "2026-01-01")
    store.record_hits("neck_pain", ["40", "7"], "2026-03-01")
    hits = store.hits().set_index(["search_id", "pmid"])
    assert hits.loc[("neck_pain", "40"), "first_seen"] == "2026-01-01"
    assert hits.loc[("neck_pain", "40"), "last_seen"] == "2026-03-01"
    assert hits.loc[("neck_pain", "5"), "last_seen"] == "2026-01-01"  # not found again: last_seen stays
    assert hits.loc[("neck_pain", "7"), "first_seen"] == "2026-03-01"
    assert hits.loc[("knee_pain", "40"), "last_seen"] == "2026-01-01"
    assert list(store.hits()["search_id"]) == ["knee_pain", "neck_pain", "neck_pain", "neck_pain"]


def test_log_skips_an_identical_same_day_rerun_but_keeps_a_change(tmp_path):
    store = PubmedStore(tmp_path)
    row = {
        "date": "2026-01-01",
        "search_id": "neck_pain",
        "query": "q",
        "count": 3,
        "retrieved": 3,
        "new_pmids_n": 0,
        "missing_pmids": "",
        "newly_retracted": "",
    }
    assert store.append_log(row) is True
    before = store.log_path.read_bytes()
    assert store.append_log(row) is False and store.log_path.read_bytes() == before
    assert store.append_log({**row, "count": 4, "retrieved": 4}) is True
    log = store.log()
    assert list(log.columns) == list(LOG_COLUMNS) and list(log["count"]) == ["3", "4"]


def test_a_records_table_written_before_the_authors_column_reads_with_it_empty(tmp_path):
    from evidence.pubmed.store import RECORD_COLUMNS, PubmedStore, author_lists

    store = PubmedStore(tmp_path)
    older = [c for c in RECORD_COLUMNS if c != "authors"]
    (tmp_path / "records.csv").write_text(
        ",".join(older) + "\n" + ",".join("1" if c == "pmid" else "" for c in older) + "\n"
    )
    records = store.records()
    assert list(records.columns) == list(RECORD_COLUMNS) and records.loc[0, "authors"] == ""
    assert author_lists(records) == {}
    store.upsert_records([{"pmid": "2", "first_author": "Ames", "authors": ["Ames, B", "Cole, D"]}], "2026-01-01")
    assert author_lists(store.records()) == {"2": ("Ames, B", "Cole, D")}

"""Status: the search-sensitivity check against the included studies, and unscreened records."""

from __future__ import annotations

import pandas as pd

from evidence.config import DataPaths
from evidence.curation import load_curated
from evidence.status import search_sensitivity, status_text, unscreened
from evidence.store import PubmedStore
from tests.conftest import PROJECT


def studies(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"study_id": s, "condition_id": c, "pmid": p, "decision": d} for s, c, p, d in rows])


def test_sensitivity_says_retrieved_missed_or_not_searched(tmp_path):
    store = PubmedStore(tmp_path)
    store.record_hits("neck_pain", ["111", "222"], "2026-01-01")
    store.record_hits("neck_pain.unfiltered", ["333"], "2026-01-01")
    table = studies(("A2020", "neck_pain", "111", "include"), ("B2021", "neck_pain", "333", "include"),
                    ("C2019", "neck_pain", "444", "include"), ("D2018", "knee_pain", "555", "include"),
                    ("E2017", "neck_pain", "222", "exclude"))
    result = search_sensitivity(store.hits(), table).set_index("study_id")["retrieved"].to_dict()
    assert result == {"A2020": "yes", "B2021": "yes", "C2019": "no", "D2018": "not searched"}
    assert unscreened(store.hits(), table) == []
    assert unscreened(store.hits(), table.iloc[:1]) == ["222", "333"]


def test_status_text_on_the_committed_snapshot():
    paths = DataPaths(PROJECT / "data")
    text = status_text(paths, load_curated(paths.curated).studies)
    assert "PubMed records stored:" in text
    assert "included studies with a PMID:" in text

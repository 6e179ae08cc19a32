"""The dated change log: rows for search runs, verdict changes (with why) and withdrawn studies, kept across
builds, and unchanged by a build that sees no change."""

from __future__ import annotations

import pandas as pd

from evidence.report.changelog import COLUMNS, update_change_log

VERDICTS = pd.DataFrame(
    {"claim_id": ["a", "b"], "verdict": ["supported", "overstated"], "reason": ["why a", "why b"]}, dtype=str
)
WITHDRAWN = pd.DataFrame({"study_id": ["S1"], "reason": ["retracted"]}, dtype=str)
NO_SEARCH = pd.DataFrame(columns=["date", "search_id", "count", "retrieved", "new_pmids_n"], dtype=str)


def _update(log, today, verdicts=VERDICTS, withdrawn=WITHDRAWN, search=NO_SEARCH, previous=VERDICTS):
    return update_change_log(log, today, search, verdicts, withdrawn, previous, WITHDRAWN)


def test_the_log_starts_once_and_a_build_without_change_adds_nothing():
    first = _update(None, "2026-01-01")
    assert list(first.columns) == list(COLUMNS)
    assert first[["date", "kind"]].values.tolist() == [["2026-01-01", "started"]]
    assert "claim verdicts: 2" in first.loc[0, "after"]
    assert _update(first, "2026-02-01").equals(first)  # nothing changed: nothing added, the old date kept


def test_verdict_changes_withdrawals_and_searches_are_dated_and_kept():
    log = _update(None, "2026-01-01")
    changed = VERDICTS.assign(verdict=["contradicted", "overstated"], reason=["a trial found harm", "why b"])
    added = pd.DataFrame({"study_id": ["S1", "S2"], "reason": ["retracted", "not peer reviewed"]}, dtype=str)
    search = pd.DataFrame(
        [{"date": "2026-01-20", "search_id": "neck_pain", "count": "40", "retrieved": "40", "new_pmids_n": "3"}]
    )
    log = _update(log, "2026-02-01", verdicts=changed, withdrawn=added, search=search)
    rows = log.to_dict("records")
    assert [(r["date"], r["kind"], r["subject"]) for r in rows] == [
        ("2026-01-01", "started", "change log"),
        ("2026-01-20", "search", "neck_pain"),  # dated by the run, not by the build
        ("2026-02-01", "withdrawn", "S2"),
        ("2026-02-01", "verdict", "a"),
    ]
    assert rows[3]["before"] == "supported" and rows[3]["after"] == "contradicted"
    assert rows[3]["why"] == "a trial found harm"
    assert rows[1]["after"] == "3 new record(s)" and rows[2]["why"] == "not peer reviewed"
    # the next build keeps every row; the same search run is not logged twice
    again = update_change_log(log, "2026-03-01", search, changed, added, changed, added)
    assert again.equals(log)


def test_a_claim_added_or_removed_is_a_verdict_change():
    log = _update(None, "2026-01-01")
    fewer = VERDICTS[VERDICTS["claim_id"] == "a"]
    rows = _update(log, "2026-02-01", verdicts=fewer).to_dict("records")
    assert rows[-1]["subject"] == "b" and rows[-1]["after"] == "(removed)"
    rows = _update(log, "2026-02-01", previous=fewer).to_dict("records")
    assert rows[-1]["subject"] == "b" and rows[-1]["before"] == "(not registered)"

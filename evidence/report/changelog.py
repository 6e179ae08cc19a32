"""The dated change log (``data/derived/change_log.csv``): what changed at each update, kept across runs.

Each build adds rows for what is new since the previous build and keeps every earlier row, so the
file grows with the project's history:

- ``search``: one row per PubMed search run in the search log (dated by the run), with how many
  records it retrieved and how many were new to that search;
- ``verdict``: a claim whose verdict differs from the previous build's ``claim_verdicts.csv`` (a new
  claim reads "(not registered)" before, a removed one "(removed)" after), with the reason of the new
  verdict;
- ``withdrawn``: a study that entered ``withdrawn.csv`` (retracted, or not peer reviewed), with why;
- ``started``: the first row when the file is created, saying what the tracker held then.

Rows for verdicts and withdrawals carry the date of the build that saw them (``today``); a build that
sees no change adds nothing, so re-running with the same inputs leaves the file byte-identical. Rows are
sorted by date, then kind, then subject.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ("date", "kind", "subject", "before", "after", "why")
KINDS = ("started", "search", "withdrawn", "verdict")  # the order of a date's rows


def _verdict_rows(previous: pd.DataFrame | None, current: pd.DataFrame, today: str) -> list[dict[str, str]]:
    if previous is None:
        return []
    old = dict(zip(previous.get("claim_id", []), previous.get("verdict", [])))
    reasons = dict(zip(current["claim_id"], current["reason"]))
    new = dict(zip(current["claim_id"], current["verdict"]))
    rows = []
    for cid in sorted(set(old) | set(new)):
        before, after = old.get(cid, "(not registered)"), new.get(cid, "(removed)")
        if before != after:
            why = reasons.get(cid, "the claim was taken out of the register")
            rows.append(
                {"date": today, "kind": "verdict", "subject": cid, "before": before, "after": after, "why": why}
            )
    return rows


def _search_rows(search_log: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {
            "date": r["date"],
            "kind": "search",
            "subject": r["search_id"],
            "before": "",
            "after": f"{r['new_pmids_n'] or 0} new record(s)",
            "why": f"{r['retrieved'] or 0} record(s) retrieved of {r['count'] or 0} found",
        }
        for r in search_log.to_dict("records")
    ]


def _withdrawn_rows(previous: pd.DataFrame | None, current: pd.DataFrame, today: str) -> list[dict[str, str]]:
    if previous is None:
        return []
    known = set(previous.get("study_id", []))
    return [
        {"date": today, "kind": "withdrawn", "subject": r["study_id"], "before": "", "after": "", "why": r["reason"]}
        for r in current.to_dict("records")
        if r["study_id"] not in known
    ]


def update_change_log(
    log: pd.DataFrame | None,
    today: str,
    search_log: pd.DataFrame,
    verdicts: pd.DataFrame,
    withdrawn: pd.DataFrame,
    previous_verdicts: pd.DataFrame | None,
    previous_withdrawn: pd.DataFrame | None,
) -> pd.DataFrame:
    """The change log after this build: ``log`` (None when there is none yet) with the rows of what is new
    (module docstring); ``today`` is the build's date (YYYY-MM-DD)."""
    rows = [] if log is None else log[list(COLUMNS)].to_dict("records")
    if not rows:
        rows.append(
            {
                "date": today,
                "kind": "started",
                "subject": "change log",
                "before": "",
                "after": f"claim verdicts: {len(verdicts)}; studies withdrawn: {len(withdrawn)}",
                "why": "the tracker began keeping this log",
            }
        )
    key = ("date", "kind", "subject", "before", "after")  # a search run is logged once however often it is read
    seen = {tuple(r[k] for k in key) for r in rows}
    for row in [
        *_search_rows(search_log),
        *_verdict_rows(previous_verdicts, verdicts, today),
        *_withdrawn_rows(previous_withdrawn, withdrawn, today),
    ]:
        if tuple(row[k] for k in key) not in seen:
            rows.append(row)
            seen.add(tuple(row[k] for k in key))
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).fillna("").astype(str)
    order = frame["kind"].map({k: i for i, k in enumerate(KINDS)})
    frame = frame.assign(_order=order).sort_values(["date", "_order", "subject"], kind="mergesort")
    return frame.drop(columns="_order").reset_index(drop=True)

"""Rebuild data/derived/change_log.csv from the project's git history (maintenance, run by hand).

The change log (``evidence.report.changelog``) is kept by each build from then on; this reads the history
it did not see: every first-parent commit that changed ``claim_verdicts.csv`` or ``withdrawn.csv``, in
order, each compared with the one before and dated by its commit date. The log starts at the first commit
that holds verdicts. Searches are added by the next build, from the search log.

    python scripts/change_log_from_git.py      # from the project folder; then run the main job and commit
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from evidence.report.changelog import COLUMNS, update_change_log  # noqa: E402
from evidence.tables import write_csv  # noqa: E402

VERDICTS, WITHDRAWN = "data/derived/claim_verdicts.csv", "data/derived/withdrawn.csv"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT, check=True, capture_output=True, text=True).stdout


def table_at(commit: str, path: str, columns: list[str]) -> pd.DataFrame:
    """A derived table as it was at ``commit`` (no rows when it did not exist yet)."""
    try:
        text = git("show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return pd.DataFrame(columns=columns, dtype=str)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def main() -> int:
    commits = [
        line.split()
        for line in git(
            "log", "--first-parent", "--reverse", "--format=%H %ad", "--date=short", "--", VERDICTS, WITHDRAWN
        ).splitlines()
    ]
    log, previous = None, None
    no_search = pd.DataFrame(columns=["date", "search_id", "count", "retrieved", "new_pmids_n"], dtype=str)
    for sha, date in commits:
        verdicts = table_at(sha, VERDICTS, ["claim_id", "verdict", "reason"])
        if verdicts.empty:
            continue
        withdrawn = table_at(sha, WITHDRAWN, ["study_id", "reason"])
        before = previous or (None, None)
        log = update_change_log(log, date, no_search, verdicts, withdrawn, *before)
        previous = (verdicts, withdrawn)
    if log is None:
        print("no commit holds claim verdicts", file=sys.stderr)
        return 1
    write_csv(log, PROJECT / "data" / "derived" / "change_log.csv", columns=COLUMNS)
    print(f"{len(log)} row(s) from {len(commits)} commit(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

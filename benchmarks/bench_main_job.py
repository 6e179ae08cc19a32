"""Benchmark of the main command's phases (``python -m evidence report --offline``).

Copies ``data/`` to a temporary folder and times, on that copy: validate (curated tables and
claims register), rebuild (derived tables and forest plots), notebooks (execute and export the
three notebooks), report (the static HTML pages, the patient documents' pages included); then prints
the total. The PubMed refresh is
not timed: it depends on the network and NCBI, not on this code.

    .venv/bin/python benchmarks/bench_main_job.py [--repeat N] [--no-notebooks]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from evidence.config import DataPaths  # noqa: E402
from evidence.curation.inputs import load_inputs  # noqa: E402
from evidence.jobs.analyse import build_derived, change_log_path  # noqa: E402
from evidence.jobs.notebooks import run_notebooks  # noqa: E402
from evidence.pubmed.status import Snapshot  # noqa: E402
from evidence.pubmed.store import PubmedStore  # noqa: E402
from evidence.report.render import ReportInputs, build_report  # noqa: E402
from evidence.tables import read_csv  # noqa: E402


def timed(func: Callable[[], object]) -> float:
    """Seconds one call of ``func`` takes."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def one_run(notebooks: bool) -> dict[str, float]:
    """Time each phase once on a fresh copy of data/."""
    with tempfile.TemporaryDirectory(prefix="bench-main-job-") as tmp:
        paths = DataPaths(Path(tmp) / "data")
        shutil.copytree(PROJECT / "data", paths.root, ignore=shutil.ignore_patterns("staging*", "report"))
        loaded, built = [], []
        times = {
            "validate": timed(lambda: loaded.append(load_inputs(paths))),
            "rebuild": timed(lambda: built.append(build_derived(paths, loaded[0]))),
        }
        if notebooks:
            times["notebooks"] = timed(lambda: run_notebooks(paths))

        def report() -> None:
            written = built[0].as_written()
            run = ReportInputs.of_run(loaded[0], written, Snapshot.read(PubmedStore(paths.pubmed)), paths.figures)
            build_report(replace(run, change_log=read_csv(change_log_path(paths))), paths.report)

        times["report"] = timed(report)
        return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs (the median is reported; default 3)")
    parser.add_argument("--no-notebooks", action="store_true", help="leave out the notebooks phase")
    args = parser.parse_args()
    print(f"main job phases on a copy of {PROJECT / 'data'}; {os.cpu_count()} CPU(s); {args.repeat} run(s)")
    runs = []
    for i in range(args.repeat):
        runs.append(one_run(not args.no_notebooks))
        print(
            f"  run {i + 1}: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items())
            + f", total {sum(runs[-1].values()):.2f} s",
            flush=True,
        )
    print(f"{'phase':<10} {'median s':>9} {'min s':>7} {'max s':>7}")
    for phase in runs[0]:
        values = [r[phase] for r in runs]
        print(f"{phase:<10} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}")
    totals = [sum(r.values()) for r in runs]
    print(f"{'total':<10} {statistics.median(totals):9.2f} {min(totals):7.2f} {max(totals):7.2f}")
    print_command_times()
    return 0


def print_command_times() -> None:
    """The whole command, ``python -m evidence report --offline``, as a user runs it (a new interpreter,
    imports included) on a copy of data/ with its committed report: first after a change to a curated
    table (every notebook runs again), then once more with nothing changed (notebooks up to date)."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="bench-main-cmd-") as tmp:
        root = Path(tmp) / "data"
        shutil.copytree(PROJECT / "data", root, ignore=shutil.ignore_patterns("staging*"))
        claims = root / "curated" / "claims.yaml"
        claims.write_text(claims.read_text(encoding="utf-8") + "\n# benchmark: a curated change\n", encoding="utf-8")
        command = [sys.executable, "-m", "evidence", "report", "--offline", "--data-dir", str(root)]
        for label in ("after a curated change", "nothing changed"):
            start = time.perf_counter()
            subprocess.run(command, cwd=PROJECT, check=True, capture_output=True)
            print(f"command   {time.perf_counter() - start:6.2f} s  python -m evidence report --offline, {label}")


if __name__ == "__main__":
    sys.exit(main())

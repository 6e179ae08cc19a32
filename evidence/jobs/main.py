"""The main job, ``python -m evidence report``: validate, refresh, rebuild, run the notebooks, report.

Steps (each prints one line: name, seconds, what it did)
-----------------------------------------------------
validate   load and validate every human-edited input once (``evidence.curation.inputs``); on a problem,
           list them all and stop with exit code 2
refresh    with ``NCBI_EMAIL`` set and not ``--offline``: probe E-utilities once
           (``EutilsClient.probe``); when it answers, run every search (``update.update_searches``,
           a failing search is reported and its stored rows kept); otherwise say why the
           committed snapshot is used. The whole step, probe included, stops at one deadline
           (``--deadline``, default ``config.REPORT_DEADLINE`` = 120 s): no request is sent and no
           retry is waited for after it, and the searches not run by then keep their snapshot
           rows, which the step says. So the network adds at most about the deadline to the run.
registry   unless ``--offline``: probe ClinicalTrials.gov once (``CtgovClient.probe``, 5 s at most); when
           it answers, search it for every condition, those searched longest ago first
           (``registry.update.update_registry``; a failing search is reported and its stored rows kept),
           all within ``config.REGISTRY_REPORT_DEADLINE`` = 8 s, probe included, so that runs cut short
           by the deadline take turns; say how many fetched rows differ from the curated seed;
           otherwise say once that the committed registry snapshot (the curated seed and any fetched
           rows) is used.
rebuild    compute the derived tables from the loaded inputs and write them (``evidence.jobs.analyse``)
notebooks  execute and export the notebooks (``evidence.jobs.notebooks``; exit code 1 when one fails)
report     render the report from the in-memory results of this run (``evidence.report.render``)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from evidence.config import (
    REGISTRY_REPORT_DEADLINE,
    REPORT_DEADLINE,
    DataPaths,
    load_registry_settings,
    load_settings,
    materials_dir,
)
from evidence.curation.inputs import Inputs
from evidence.curation.schema import CurationError
from evidence.jobs.validate import load_checked_inputs
from evidence.tables import read_csv

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
INDENT = " " * 11


def refresh_snapshot(inputs: Inputs, echo: Callable[[str], None] = print, deadline: float = REPORT_DEADLINE) -> str:
    """Run every search when NCBI_EMAIL is set and E-utilities answers, within ``deadline``
    seconds in all; return a one-line summary (which says why the committed snapshot is used
    otherwise, and for which searches)."""
    from evidence.http import PROBE_TIMEOUT, Deadline
    from evidence.pubmed.eutils import EutilsClient
    from evidence.pubmed.store import PubmedStore
    from evidence.pubmed.update import update_searches

    settings = load_settings()
    if not settings.email:
        return "uses the committed PubMed snapshot: NCBI_EMAIL is not set"
    client = EutilsClient(settings, deadline=Deadline(deadline))
    why = client.probe(timeout=min(PROBE_TIMEOUT, deadline))
    if why:
        return f"uses the committed PubMed snapshot: network unreachable, {why}"
    definitions = inputs.definitions
    run = update_searches(
        client,
        definitions,
        PubmedStore(inputs.paths.pubmed),
        definitions.ids,
        echo=lambda line: echo(INDENT + line),
        keep_going=True,
        progress=False,
    )
    late = f"the deadline of {deadline:g} s passed" if client.deadline.passed else ""
    if not run.summaries:
        return f"uses the committed PubMed snapshot: {late or 'every search failed'}"
    text = f"refreshed from PubMed: {len(run.summaries)} of {len(definitions.ids)} search(es), {run.new} new record(s)"
    if run.failed:
        text += f"; {late + ', ' if late else ''}uses the committed PubMed snapshot for {', '.join(run.failed)}"
    return text


def refresh_registry(
    inputs: Inputs, echo: Callable[[str], None] = print, deadline: float = REGISTRY_REPORT_DEADLINE
) -> str:
    """Search ClinicalTrials.gov for every condition when it answers, within ``deadline`` seconds in
    all; return a one-line summary (which says why the committed registry snapshot is used otherwise)."""
    from evidence.http import PROBE_TIMEOUT, Deadline
    from evidence.registry.crosscheck import differences
    from evidence.registry.ctgov import CtgovClient
    from evidence.registry.store import RegistryStore
    from evidence.registry.update import update_registry

    client = CtgovClient(load_registry_settings(), deadline=Deadline(deadline))
    why = client.probe(timeout=min(PROBE_TIMEOUT, deadline))
    if why:
        return f"uses the committed registry snapshot: network unreachable, {why}"
    store = RegistryStore(inputs.paths.registry)
    last_run = store.log().groupby("condition_id")["date"].max().to_dict()
    ids = sorted(inputs.definitions.ids, key=lambda cid: last_run.get(cid, ""))
    run = update_registry(
        client, inputs.definitions, store, ids, echo=lambda line: echo(INDENT + line), keep_going=True
    )
    if not run.summaries:
        return "uses the committed registry snapshot: every registry search failed"
    text = f"refreshed from ClinicalTrials.gov: {len(run.summaries)} of {len(ids)} search(es), {run.new} new"
    differ = differences(inputs.curated.registrations, store.registrations())
    if differ:
        text += f"; {len(differ)} fetched row(s) differ from the curated seed (data/derived/registry.csv, differs)"
    if run.failed:
        text += f"; uses the committed registry snapshot for {', '.join(run.failed)}"
    return text


def patient_documents(inputs: Inputs, verdicts: pd.DataFrame) -> tuple[dict[str, Any], str]:
    """Each patient document as the wording checker reads it (``wording.rules.patient_documents``: sentences
    and findings) from ``config.materials_dir()``, and a note naming what is missing, without machine paths."""
    from evidence.wording.rules import patient_documents as checked

    documents, missing = checked(materials_dir(), inputs.claims, verdicts)
    note = (
        ""
        if not missing
        else "Some patient documents were not found beside the project "
        "(../shared/patient-materials, or $EVIDENCE_MATERIALS_DIR), so their pages were not built."
    )
    return documents, note


def _step(name: str, func: Callable[[], str]) -> str:
    """Run one step of the main job and print one line: name, seconds, what it did."""
    start = time.perf_counter()
    detail = func()
    print(f"{name:<10} {time.perf_counter() - start:6.1f} s  {detail}", flush=True)
    return detail


def run_main_job(
    paths: DataPaths, execute_notebooks: bool = True, refresh: bool = True, deadline: float = REPORT_DEADLINE
) -> int:
    """The main command: validate, refresh (if possible, within ``deadline`` seconds), rebuild, run
    the notebooks, write the report.

    Returns 0 on success, 2 when the human-edited inputs have problems, 1 when a notebook fails.
    """
    from evidence.jobs import analyse
    from evidence.pubmed.status import Snapshot
    from evidence.pubmed.store import PubmedStore
    from evidence.report import render

    loaded: list[Inputs] = []
    problems: list = []

    def validate_step() -> str:
        try:
            loaded.append(load_checked_inputs(paths))
        except CurationError as exc:
            problems.extend(exc.problems)
            return f"{len(problems)} problem(s)"
        return "curated tables and claims register are valid"

    _step("validate", validate_step)
    if problems:
        for problem in problems:
            print(f"  {problem}")
        print(f"{len(problems)} problem(s) in {paths.curated}: fix them and run again")
        return EXIT_USAGE
    inputs = loaded[0]

    if refresh:
        _step("refresh", lambda: refresh_snapshot(inputs, deadline=deadline))
        _step("registry", lambda: refresh_registry(inputs))
    else:
        _step("refresh", lambda: "uses the committed PubMed snapshot: --offline")
        _step("registry", lambda: "uses the committed registry snapshot: --offline")

    verdicts_path = paths.derived_table("verdicts")
    previous = read_csv(verdicts_path) if verdicts_path.exists() else None
    built: list[analyse.Derived] = []

    def rebuild() -> str:
        built.append(analyse.build_derived(paths, inputs))
        q = built[0].questions
        return (
            f"{len(q)} question(s) ({(q['k'] > 0).sum()} with data), "
            f"{len(built[0].verdicts)} claim verdict(s) -> {paths.derived}"
        )

    _step("rebuild", rebuild)

    if execute_notebooks:
        from nbclient.exceptions import CellExecutionError

        from evidence.jobs.notebooks import run_notebooks

        try:
            _step(
                "notebooks",
                lambda: (
                    f"{len(run_notebooks(paths))} notebook(s) executed and exported to {paths.report / 'notebooks'}"
                ),
            )
        except (CellExecutionError, RuntimeError, TimeoutError) as exc:
            print(f"notebooks  failed: {exc}")
            return EXIT_FAILED
    else:
        _step("notebooks", lambda: "skipped (--no-notebooks)")

    index = Path()

    def write_report() -> str:
        nonlocal index
        written = built[0].as_written()
        documents, note = patient_documents(inputs, written.verdicts)
        run = render.ReportInputs.of_run(
            inputs, written, Snapshot.read(PubmedStore(paths.pubmed)), paths.figures, previous
        )
        log = read_csv(analyse.change_log_path(paths))
        run = replace(run, documents=documents, document_pages_note=note, change_log=log)
        index = render.build_report(run, paths.report)
        return f"{len(list(index.parent.rglob('*.html')))} page(s)"

    _step("report", write_report)
    print(f"report: {index.resolve()}")
    return EXIT_OK

"""The main job, ``python -m evidence report``: validate, refresh, rebuild, run the notebooks, report.

Steps (each prints one line: name, seconds, what it did)
-----------------------------------------------------
validate   load and validate every human-edited input once (``evidence.curation.inputs``); on a problem,
           list them all and stop with exit code 2
refresh    with ``NCBI_EMAIL`` set and not ``--offline``: probe E-utilities once
           (``EutilsClient.probe``); when it answers, run every search (``update.update_searches``,
           a failing search is reported and its stored rows kept; after two failures in a row no
           further search is started); otherwise say why the committed snapshot is used. The whole
           step, probe included, stops at one deadline (``--deadline``, default
           ``config.REPORT_DEADLINE`` = 120 s): no request is sent and no retry is waited for after
           it, and the searches not run by then keep their snapshot rows, which the step says. So
           the network adds at most about the deadline to the run. When E-utilities (or a proxy)
           answered with errors (the probe or a search: HTTP 404, 503, an error body), the refresh
           *failed*: the job still builds the report from the snapshot, says so and exits 1.
           When it was not reached (no network) or the deadline passed, the job exits 0.
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

rebuild, notebooks and report write into one staging folder (``analyse.staged_derived``), put in
place as ``data/derived/`` only when all three have completed: a run that fails or is killed part-way
leaves ``data/derived/`` wholly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from evidence.config import (
    REGISTRY_REPORT_DEADLINE,
    REPORT_DEADLINE,
    DataPaths,
    load_registry_settings,
    load_settings,
)
from evidence.curation.inputs import Inputs
from evidence.curation.schema import CurationError
from evidence.jobs.validate import load_checked_inputs
from evidence.tables import read_csv

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
INDENT = " " * 11


@dataclass(frozen=True)
class Refresh:
    """What the refresh step did, in one line; ``failed``: E-utilities answered with errors, so the
    snapshot was used where a refresh was asked for (the job exits 1)."""

    text: str
    failed: bool = False


def refresh_snapshot(inputs: Inputs, echo: Callable[[str], None] = print, deadline: float = REPORT_DEADLINE) -> Refresh:
    """Run every search when NCBI_EMAIL is set and E-utilities answers, within ``deadline``
    seconds in all; say what was done in one line (which says why the committed snapshot is used
    otherwise, and for which searches)."""
    from evidence.http import PROBE_TIMEOUT, Deadline
    from evidence.pubmed.eutils import EutilsClient, EutilsError
    from evidence.pubmed.store import PubmedStore
    from evidence.pubmed.update import update_searches

    settings = load_settings()
    if not settings.email:
        return Refresh("uses the committed PubMed snapshot: NCBI_EMAIL is not set")
    client = EutilsClient(settings, deadline=Deadline(deadline))
    try:
        why = client.probe(timeout=min(PROBE_TIMEOUT, deadline))
    except EutilsError as exc:
        return Refresh(f"REFRESH FAILED ({exc}); uses the committed PubMed snapshot", failed=True)
    if why:
        return Refresh(f"uses the committed PubMed snapshot: network unreachable, {why}")
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
    failed = bool(run.answered_errors)
    prefix = (
        f"REFRESH FAILED (E-utilities answered errors to {len(run.answered_errors)} search(es)); " if failed else ""
    )
    if not run.summaries:
        return Refresh(f"{prefix}uses the committed PubMed snapshot: {late or 'every search failed'}", failed)
    text = f"refreshed from PubMed: {len(run.summaries)} of {len(definitions.ids)} search(es), {run.new} new record(s)"
    if run.failed:
        text += f"; {late + ', ' if late else ''}uses the committed PubMed snapshot for {', '.join(run.failed)}"
    return Refresh(prefix + text, failed)


def refresh_registry(
    inputs: Inputs, echo: Callable[[str], None] = print, deadline: float = REGISTRY_REPORT_DEADLINE
) -> str:
    """Search ClinicalTrials.gov for every condition when it answers, within ``deadline`` seconds in
    all; return a one-line summary (which says why the committed registry snapshot is used otherwise)."""
    from evidence.http import PROBE_TIMEOUT, Deadline, HttpError
    from evidence.registry.crosscheck import differences
    from evidence.registry.ctgov import CtgovClient
    from evidence.registry.store import RegistryStore
    from evidence.registry.update import update_registry

    client = CtgovClient(load_registry_settings(), deadline=Deadline(deadline))
    try:
        why = client.probe(timeout=min(PROBE_TIMEOUT, deadline))
    except HttpError as exc:
        return f"uses the committed registry snapshot: the registry answered with an error ({exc})"
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

    Returns 0 on success, 2 when the human-edited inputs have problems, 1 when a notebook fails or
    the refresh failed (E-utilities answered with errors; the report is still built from the snapshot).
    """
    from evidence.jobs import analyse

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

    refreshed = Refresh("uses the committed PubMed snapshot: --offline")

    def refresh_step() -> str:
        nonlocal refreshed
        if refresh:
            refreshed = refresh_snapshot(inputs, deadline=deadline)
        return refreshed.text

    _step("refresh", refresh_step)
    if refresh:
        _step("registry", lambda: refresh_registry(inputs))
    else:
        _step("registry", lambda: "uses the committed registry snapshot: --offline")

    verdicts_path = paths.derived_table("verdicts")
    previous = read_csv(verdicts_path) if verdicts_path.exists() else None
    try:
        with analyse.staged_derived(paths) as staged:
            _build(paths, staged, inputs, previous, execute_notebooks)
    except _NotebooksFailed:
        print(f"nothing was changed in {paths.derived}")
        return EXIT_FAILED
    print(f"report: {(paths.report / 'index.html').resolve()}")
    if refreshed.failed:
        print("the PubMed refresh failed (see the refresh line above): the report uses the committed snapshot")
        return EXIT_FAILED
    return EXIT_OK


class _NotebooksFailed(Exception):
    """A notebook failed: the run's outputs are not put in place."""


def _build(
    paths: DataPaths, staged: DataPaths, inputs: Inputs, previous: pd.DataFrame | None, execute_notebooks: bool
) -> None:
    """The steps that write: rebuild, notebooks, report, all into ``staged`` (the run's staging folder,
    put in place as ``paths.derived`` when every step has completed)."""
    from evidence.jobs import analyse
    from evidence.pubmed.status import Snapshot
    from evidence.pubmed.store import PubmedStore
    from evidence.report import render

    built: list[analyse.Derived] = []

    def rebuild() -> str:
        built.append(analyse.compute_derived(paths, inputs))
        analyse.write_derived(built[0], staged)
        analyse.write_change_log(built[0], paths, staged)
        q = built[0].questions
        return (
            f"{len(q)} question(s) ({(q['k'] > 0).sum()} with data), "
            f"{len(built[0].verdicts)} claim verdict(s) -> {paths.derived}"
        )

    _step("rebuild", rebuild)

    if execute_notebooks:
        from evidence.jobs.notebooks import NOTEBOOKS_DIR, notebooks_up_to_date, run_notebooks

        def notebooks() -> str:
            if notebooks_up_to_date(staged, sorted(NOTEBOOKS_DIR.glob("*.ipynb"))):
                return f"up to date (their inputs have not changed): {paths.report / 'notebooks'}"
            # imported only when the notebooks run: nbclient imports jsonschema, a second of CPU
            from nbclient.exceptions import CellExecutionError

            try:
                executed = run_notebooks(staged)
            except (CellExecutionError, RuntimeError, TimeoutError) as exc:
                print(f"notebooks  failed: {exc}")
                raise _NotebooksFailed from exc
            return f"{len(executed)} notebook(s) executed and exported to {paths.report / 'notebooks'}"

        _step("notebooks", notebooks)
    else:
        _step("notebooks", lambda: "skipped (--no-notebooks)")

    def write_report() -> str:
        written = built[0].as_written()
        run = render.ReportInputs.of_run(
            inputs, written, Snapshot.read(PubmedStore(paths.pubmed)), staged.figures, previous
        )
        run = replace(run, change_log=read_csv(analyse.change_log_path(staged)))
        index = render.build_report(run, staged.report)
        return f"{len(list(index.parent.rglob('*.html')))} page(s)"

    _step("report", write_report)

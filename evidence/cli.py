"""The command line: ``python -m evidence <command>`` (also the console script ``evidence``).

Exit codes, the same for every command:

0  ok (also when the reader of stdout closed the pipe early, as ``| head`` does: the command
   stops quietly);
1  a run that failed: the network or E-utilities, a notebook (nothing is left half-written:
   every table is written atomically);
2  bad usage or input, found before anything is sent or written where it can be: a bad flag
   value, a data directory that does not exist, a malformed file to import, invalid curated
   data, a data directory another writer holds (``evidence.locking``).

Commands that write to the data directory hold its writer lock (``evidence.locking``); network
runs stop at a total deadline (``--deadline``) on top of each request's timeout.
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evidence.config import (
    DEFAULT_DATA_DIR,
    MIN_BATCH_SIZE,
    REGISTRY_DEADLINE,
    REPORT_DEADLINE,
    UPDATE_DEADLINE,
    ConfigError,
    DataPaths,
    load_registry_settings,
    load_settings,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
LOOPBACK, DEFAULT_PORT = "127.0.0.1", 8000
REFRESH_AFTER_DAYS = 180
log = logging.getLogger("evidence")


def _paths(args: argparse.Namespace) -> DataPaths:
    return DataPaths(Path(args.data_dir))


def cmd_update(args: argparse.Namespace) -> int:
    from evidence.curation.searches import load_search_definitions
    from evidence.http import Deadline
    from evidence.pubmed.eutils import EutilsClient
    from evidence.pubmed.store import PubmedStore
    from evidence.pubmed.update import update_searches

    paths = _paths(args)
    definitions = load_search_definitions(paths.searches)
    ids = [definitions.condition(args.condition).id] if args.condition else definitions.ids
    client = EutilsClient(load_settings(), deadline=Deadline(args.deadline))
    run = update_searches(
        client,
        definitions,
        PubmedStore(paths.pubmed),
        ids,
        echo=lambda line: print(line, flush=True),
        rct_filter=not args.no_rct_filter,
        refresh_days=args.refresh_days,
        batch_size=args.batch_size,
    )
    print(f"update done: {len(run.summaries)} search(es), {run.new} new record(s), {client.requests_made} request(s)")
    if run.newly_retracted:
        print(f"WARNING: record(s) now retracted: {', '.join(run.newly_retracted)}")
    return EXIT_OK


def cmd_registry(args: argparse.Namespace) -> int:
    from evidence.curation.schema import TABLES
    from evidence.curation.searches import load_search_definitions
    from evidence.http import Deadline
    from evidence.registry.crosscheck import differences
    from evidence.registry.ctgov import CtgovClient
    from evidence.registry.store import RegistryStore
    from evidence.registry.update import update_registry
    from evidence.tables import read_csv

    paths = _paths(args)
    definitions = load_search_definitions(paths.searches)
    ids = [definitions.condition(args.condition).id] if args.condition else definitions.ids
    client = CtgovClient(load_registry_settings(), deadline=Deadline(args.deadline))
    store = RegistryStore(paths.registry)
    run = update_registry(
        client, definitions, store, ids, echo=lambda line: print(line, flush=True), page_size=args.page_size
    )
    print(
        f"registry done: {len(run.summaries)} search(es), {run.new} new registration(s), "
        f"{client.requests_made} request(s)"
    )
    curated = read_csv(paths.curated / "registrations.csv", [c.name for c in TABLES["registrations"][1]])
    differ = differences(curated, store.registrations())
    if differ:
        print(f"{len(differ)} fetched registration(s) differ from the curated seed (the fetched values are used):")
        for line in differ:
            print("  " + line)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from evidence.pubmed.parser import PubmedXMLError
    from evidence.pubmed.store import PubmedStore
    from evidence.pubmed.update import apply_pubmed_file

    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        result = apply_pubmed_file(PubmedStore(_paths(args).pubmed), path)
    except PubmedXMLError as exc:  # a bad file to import is bad input, not a failed run
        raise ConfigError(f"{exc}; nothing was changed") from None
    print(f"{path}: {result.line()}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from evidence.curation.schema import load_curated
    from evidence.pubmed.status import status_text

    paths = _paths(args)
    print(status_text(paths, load_curated(paths.curated).studies))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from evidence.jobs.validate import input_problems

    paths = _paths(args)
    problems = input_problems(paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {paths.curated}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{paths.curated}: the curated tables and the claims register are valid")
    return EXIT_OK


def cmd_analyse(args: argparse.Namespace) -> int:
    from evidence.jobs.analyse import build_derived

    derived = build_derived(_paths(args))
    q = derived.questions
    print(
        f"{len(q)} evidence question(s): {(q['status'] == 'pooled').sum()} pooled, "
        f"{(q['status'] == 'single_study').sum()} single study, {(q['status'] == 'no_usable_data').sum()} "
        f"without usable data; {len(derived.verdicts)} claim verdict(s) -> {_paths(args).derived}"
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from evidence.jobs.main import run_main_job

    return run_main_job(
        _paths(args), execute_notebooks=not args.no_notebooks, refresh=not args.offline, deadline=args.deadline
    )


def cmd_check_wording(args: argparse.Namespace) -> int:
    from evidence.curation.claims import load_claims
    from evidence.wording.classifier import model_dir
    from evidence.wording.lexicon import lexicon_path, load_lexicon
    from evidence.wording.rules import load_verdicts, run_check_wording
    from evidence.wording.thorough import checker_model

    paths = _paths(args)
    claims, verdicts = load_claims(paths.claims), load_verdicts(paths.derived_table("verdicts"))
    lexicon = load_lexicon(lexicon_path(paths))
    model = checker_model(model_dir(paths), args.model)
    if args.format == "docx":
        from evidence.wording.docx_output import run_check_wording_docx

        if not args.output:
            raise ConfigError("--format docx needs --output OUT.docx (a Word document is not written to the terminal)")
        if Path(args.output).suffix.lower() != ".docx":
            raise ConfigError(f"--format docx writes a Word document: name it .docx, not {args.output}")
        code = run_check_wording_docx(args.files, args.output, claims, verdicts, lexicon=lexicon, model=model)
        return _said_written(args.output, code, written=code != 2)  # an unreadable draft writes nothing
    if not args.output:
        return run_check_wording(args.files, args.format, claims, verdicts, lexicon=lexicon, model=model)
    from evidence.tables import atomic_write_bytes

    report = io.StringIO()
    code = run_check_wording(args.files, args.format, claims, verdicts, out=report, lexicon=lexicon, model=model)
    if code != 2:  # as for docx: a report that leaves out an unreadable draft never replaces OUT
        atomic_write_bytes(Path(args.output), report.getvalue().encode("utf-8"))
    return _said_written(args.output, code, written=code != 2)


def _said_written(output: str, code: int, written: bool) -> int:
    """Tell on stderr whether ``check-wording --output`` wrote its file (nothing else is printed) and
    what the exit code means; return the code."""
    meaning = {0: "nothing flagged", 1: "something is flagged"}.get(code, "a draft could not be read")
    print(f"{'wrote' if written else 'did not write'} {output} ({meaning}; exit {code})", file=sys.stderr)
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    from evidence.serve.app import serve

    return serve(_paths(args), args.host, args.port, echo=lambda line: print(line, flush=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evidence",
        description="The dry needling evidence tracker: python -m evidence COMMAND (or the console "
        "script evidence). 'evidence COMMAND --help' describes each command.",
        epilog="Exit codes: 0 ok; 2 bad usage, configuration or input; 1 a run that failed (nothing is left "
        "half-written).",
    )
    common = [
        (("-v", "--verbose"), {"action": "store_true", "help": "log more (never the API key)"}),
        (("--data-dir",), {"help": "data directory (default: the project's data/)"}),
    ]
    # the common options work before and after the command: the command's copies leave the value
    # alone unless given (SUPPRESS), so "evidence -v status" and "evidence status -v" are the same
    for flags, options in common:
        parser.add_argument(*flags, **options)
    parser.set_defaults(data_dir=str(DEFAULT_DATA_DIR))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str, writes: bool = False
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        for flags, options in common:
            p.add_argument(*flags, **options, default=argparse.SUPPRESS)
        p.set_defaults(func=func, writes=writes)
        return p

    def add_deadline(p: argparse.ArgumentParser, default: float) -> None:
        p.add_argument(
            "--deadline",
            type=float,
            default=default,
            metavar="SECONDS",
            help=f"stop talking to PubMed after SECONDS in all (default {default:g}); searches not run "
            "by then keep their stored rows",
        )

    p = add(
        "update",
        cmd_update,
        "search PubMed per condition and fetch new records (needs NCBI_EMAIL and network)",
        writes=True,
    )
    p.add_argument("--condition", help="only this condition id (default: all searches)")
    p.add_argument("--no-rct-filter", action="store_true", help="drop the RCT filter (to find systematic reviews)")
    p.add_argument(
        "--refresh-days",
        type=int,
        default=REFRESH_AFTER_DAYS,
        metavar="DAYS",
        help="re-fetch stored records last fetched DAYS or more days ago, so retractions and errata "
        f"show up (default {REFRESH_AFTER_DAYS}; 0 re-fetches all)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=MIN_BATCH_SIZE,
        metavar="N",
        help=f"records per efetch request (default and minimum {MIN_BATCH_SIZE})",
    )
    add_deadline(p, UPDATE_DEADLINE)

    p = add(
        "registry",
        cmd_registry,
        "search ClinicalTrials.gov (API v2) for dry needling trials per condition and store the "
        "registrations in data/registry/ (needs network)",
        writes=True,
    )
    p.add_argument("--condition", help="only this condition id (default: all searches)")
    p.add_argument(
        "--page-size",
        type=int,
        default=100,
        metavar="N",
        help="studies per page (default 100; the registry allows up to 1000)",
    )
    p.add_argument(
        "--deadline",
        type=float,
        default=REGISTRY_DEADLINE,
        metavar="SECONDS",
        help=f"stop talking to the registry after SECONDS in all (default {REGISTRY_DEADLINE:g}); "
        "conditions not searched by then keep their stored rows",
    )

    p = add(
        "import",
        cmd_import,
        "apply a PubMed baseline/update XML file to the stored records "
        "(replace stored ones, remove DeleteCitation PMIDs and their hits)",
        writes=True,
    )
    p.add_argument("file", help="PubMed XML file (PubmedArticleSet), .xml or .xml.gz")

    add("status", cmd_status, "show what the snapshot holds and when each search last ran")
    add("validate", cmd_validate, "check the curated tables and the claims register (exit 2 on any problem)")
    add(
        "analyse",
        cmd_analyse,
        "rebuild the derived tables and forest plots in data/derived/ from the curated data",
        writes=True,
    )
    p = add(
        "report",
        cmd_report,
        "the main job: validate, refresh from PubMed and ClinicalTrials.gov if possible, rebuild, run notebooks, "
        "write the HTML report (with PRISMA diagrams and RIS/BibTeX exports)",
        writes=True,
    )
    add_deadline(p, REPORT_DEADLINE)
    p.add_argument(
        "--offline",
        action="store_true",
        help="do not try PubMed or ClinicalTrials.gov even when NCBI_EMAIL is set; use the committed snapshots",
    )
    p.add_argument(
        "--no-notebooks",
        action="store_true",
        help="skip executing and exporting the notebooks (faster; the report says they were not run)",
    )
    p = add(
        "check-wording",
        cmd_check_wording,
        "check a draft's sentences against the claims register (exit 1 if anything is flagged)",
    )
    p.epilog = (
        "Exit codes: 0 nothing flagged; 1 something is flagged; 2 bad usage or a draft that could not be read "
        "(the others are still checked and reported; with --output nothing is written)."
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=".txt, .md, .html or .docx files; - for stdin")
    p.add_argument(
        "--format",
        choices=("table", "json", "csv", "html", "docx"),
        default="table",
        help="output format (html: the drafts with each claim highlighted, to save and open in a browser; "
        "docx: the draft as a Word document with one comment per flagged claim, needs --output and one FILE)",
    )
    p.add_argument("--output", metavar="OUT", help="write the output to OUT instead of stdout (needed for docx)")
    models = p.add_mutually_exclusive_group()
    models.add_argument(
        "--thorough",
        dest="model",
        action="store_const",
        const="thorough",
        default="auto",
        help="the thorough model (a fine-tuned encoder beside the linear classifier) for every draft; by default it "
        "checks drafts of up to 10,000 characters and the fast one longer drafts",
    )
    models.add_argument(
        "--fast",
        dest="model",
        action="store_const",
        const="fast",
        help="the fast model (the linear classifier's second opinion) for every draft",
    )
    models.add_argument(
        "--rules-only",
        dest="model",
        action="store_const",
        const="rules-only",
        help="flag by the rules alone, without any classifier trained on labelled clinic copy",
    )
    p = add(
        "serve",
        cmd_serve,
        "a local web page to check a draft (paste or upload; annotated .docx and HTML to download) and the "
        "built report at /report/; read-only",
    )
    p.add_argument("--host", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK}, this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    return parser


def check_flags(args: argparse.Namespace) -> None:
    """Flag values that argparse's types cannot check, before any request is sent (ConfigError)."""
    if getattr(args, "batch_size", MIN_BATCH_SIZE) < MIN_BATCH_SIZE:
        raise ConfigError(
            f"--batch-size must be at least {MIN_BATCH_SIZE} (NCBI asks for large batches), got {args.batch_size}"
        )
    if not 1 <= getattr(args, "page_size", 1) <= 1000:
        raise ConfigError(f"--page-size must be 1 to 1000, got {args.page_size}")
    if getattr(args, "refresh_days", 0) < 0:
        raise ConfigError(f"--refresh-days must be 0 or more, got {args.refresh_days}")
    deadline = getattr(args, "deadline", 1.0)
    if not (deadline > 0 and math.isfinite(deadline)):
        raise ConfigError(f"--deadline must be a positive number of seconds, got {deadline:g}")
    if not 0 <= getattr(args, "port", 0) <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
    if not Path(args.data_dir).is_dir():
        raise ConfigError(f"no such directory: {args.data_dir}")


def _run(args: argparse.Namespace) -> int:
    check_flags(args)
    if not args.writes:
        return args.func(args)
    from evidence.locking import writer_lock

    with writer_lock(Path(args.data_dir), args.command):
        return args.func(args)


def _quiet_stdout() -> None:
    """After the reader of stdout went away: send what is still buffered to /dev/null, so that
    Python's flush at exit does not report a broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from evidence.http import HttpError
    from evidence.pubmed.parser import PubmedXMLError

    try:
        return _run(args)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (HttpError, PubmedXMLError, OSError) as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return EXIT_FAILED

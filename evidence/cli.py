"""The command line: ``python -m evidence <command>`` (also the console script ``evidence``).

Exit codes: 0 ok; 2 bad usage, configuration or input; 1 a run that failed (nothing is left
half-written: every table is written atomically).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from evidence.config import DEFAULT_DATA_DIR, ConfigError, DataPaths, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REFRESH_AFTER_DAYS = 180
log = logging.getLogger("evidence")


def _paths(args: argparse.Namespace) -> DataPaths:
    return DataPaths(Path(args.data_dir))


def cmd_update(args: argparse.Namespace) -> int:
    from evidence.eutils import EutilsClient
    from evidence.searches import load_search_definitions
    from evidence.store import PubmedStore
    from evidence.update import update_searches

    paths = _paths(args)
    definitions = load_search_definitions(paths.searches)
    ids = [definitions.condition(args.condition).id] if args.condition else definitions.ids
    client = EutilsClient(load_settings())
    run = update_searches(client, definitions, PubmedStore(paths.pubmed), ids, echo=lambda line: print(line, flush=True),
                          rct_filter=not args.no_rct_filter, refresh_days=args.refresh_days, batch_size=args.batch_size)
    print(f"update done: {len(run.summaries)} search(es), {run.new} new record(s), {client.requests_made} request(s)")
    if run.newly_retracted:
        print(f"WARNING: record(s) now retracted: {', '.join(run.newly_retracted)}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from evidence.store import PubmedStore
    from evidence.update import apply_pubmed_file

    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    replaced, deleted, retracted = apply_pubmed_file(PubmedStore(_paths(args).pubmed), path)
    print(f"{path}: {replaced} stored record(s) replaced, {len(deleted)} deleted"
          + (f"; now retracted: {', '.join(retracted)}" if retracted else ""))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from evidence.curation import load_curated
    from evidence.status import status_text

    paths = _paths(args)
    print(status_text(paths, load_curated(paths.curated).studies))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from evidence.inputs import input_problems

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
    from evidence.pipeline import build_derived

    derived = build_derived(_paths(args))
    q = derived.questions
    print(f"{len(q)} evidence question(s): {(q['status'] == 'pooled').sum()} pooled, "
          f"{(q['status'] == 'single_study').sum()} single study, {(q['status'] == 'no_usable_data').sum()} "
          f"without usable data; {len(derived.verdicts)} claim verdict(s) -> {_paths(args).derived}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from evidence.mainjob import run_main_job

    return run_main_job(_paths(args), execute_notebooks=not args.no_notebooks, refresh=not args.offline)


def cmd_check_wording(args: argparse.Namespace) -> int:
    from evidence.claims import load_claims
    from evidence.lexicon import lexicon_path, load_lexicon
    from evidence.wording import load_verdicts, run_check_wording

    paths = _paths(args)
    verdicts = load_verdicts(paths.derived_table("verdicts"))
    return run_check_wording(args.files, args.format, load_claims(paths.claims), verdicts,
                             lexicon=load_lexicon(lexicon_path(paths)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evidence", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (never the API key)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="data directory (default: the project's data/)")
        p.set_defaults(func=func)
        return p

    p = add("update", cmd_update, "search PubMed per condition and fetch new records (needs NCBI_EMAIL and network)")
    p.add_argument("--condition", help="only this condition id (default: all searches)")
    p.add_argument("--no-rct-filter", action="store_true", help="drop the RCT filter (to find systematic reviews)")
    p.add_argument("--refresh-days", type=int, default=REFRESH_AFTER_DAYS, metavar="DAYS",
                   help="re-fetch stored records last fetched DAYS or more days ago, so retractions and errata "
                        f"show up (default {REFRESH_AFTER_DAYS}; 0 re-fetches all)")
    p.add_argument("--batch-size", type=int, default=200, help="efetch batch size (at least 200)")

    p = add("import", cmd_import, "apply a PubMed baseline/update XML file to the stored records "
                                  "(replace stored ones, remove DeleteCitation PMIDs)")
    p.add_argument("file", help="PubMed XML file (PubmedArticleSet)")

    add("status", cmd_status, "show what the snapshot holds and when each search last ran")
    add("validate", cmd_validate, "check the curated tables and the claims register (exit 2 on any problem)")
    add("analyse", cmd_analyse, "rebuild the derived tables and forest plots in data/derived/ from the curated data")
    p = add("report", cmd_report, "the main job: validate, refresh from PubMed if possible, rebuild, run notebooks, "
                                  "write the HTML report")
    p.add_argument("--offline", action="store_true", help="do not try PubMed even when NCBI_EMAIL is set")
    p.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    p = add("check-wording", cmd_check_wording, "check a draft's sentences against the claims register "
                                                "(exit 1 if anything is flagged)")
    p.add_argument("files", nargs="+", metavar="FILE", help=".txt, .md, .html or .docx files; - for stdin")
    p.add_argument("--format", choices=("table", "json", "csv", "html"), default="table",
                   help="output format (html: the drafts with each claim highlighted, to save and open in a browser)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from evidence.eutils import EutilsError
    from evidence.pubmed import PubmedXMLError

    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (EutilsError, PubmedXMLError, OSError) as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return EXIT_FAILED

"""Keep a labelled real set's labels in the project without its text, and put them back on a fresh copy.

Real clinic copy is third-party text and stays outside the project, in a scratch folder that may not
outlive its machine (the first forty-nine sets did not). The labels are the project's own work:
``export`` writes them as a label file (url, entry number, sha256 of the entry's text, flag;
:func:`evidence.wording.training.label_table`) for ``benchmarks/wording_clinic/labels/``; ``restore``
takes entries copied again from the same pages (YAML, ``{text, url}``) and gives each the flag of
the label its url and text match, leaving the rest unflagged for labelling by the policy.

    .venv/bin/python scripts/wording_labels.py export SCRATCH/set50/heldout_set.yaml benchmarks/wording_clinic/labels/real_heldout50.csv
    .venv/bin/python scripts/wording_labels.py restore SCRATCH/copied.yaml benchmarks/wording_clinic/labels/real_heldout50.csv SCRATCH/restored.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import yaml  # noqa: E402

from evidence.config import ConfigError  # noqa: E402
from evidence.tables import atomic_write_bytes, read_csv, write_csv  # noqa: E402
from evidence.wording.training import LABEL_COLUMNS, label_table, restore_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write a labelled set's label file")
    export.add_argument("labelled", type=Path, metavar="SET.yaml")
    export.add_argument("out", type=Path, metavar="LABELS.csv")
    restore = commands.add_parser("restore", help="put a label file's flags back on entries copied again")
    restore.add_argument("copied", type=Path, metavar="COPIED.yaml")
    restore.add_argument("labels", type=Path, metavar="LABELS.csv")
    restore.add_argument("out", type=Path, metavar="OUT.yaml")
    args = parser.parse_args()
    try:
        if args.command == "export":
            table = label_table(args.labelled)
            write_csv(table, args.out)
            print(f"{args.out}: {len(table)} labels from {table['url'].nunique()} pages")
            return
        if not args.labels.exists():
            raise ConfigError(f"{args.labels}: no such label file")
        entries = yaml.safe_load(args.copied.read_text(encoding="utf-8"))
        if not isinstance(entries, list):
            raise ConfigError(f"{args.copied}: expected a list of entries with text and url")
        restored, missing = restore_labels(entries, read_csv(args.labels, columns=list(LABEL_COLUMNS)))
        text = yaml.safe_dump(restored, allow_unicode=True, sort_keys=False, width=1000)
        atomic_write_bytes(args.out, text.encode("utf-8"))
        print(f"{args.out}: {len(restored) - missing} of {len(restored)} entries labelled, {missing} to label again")
    except (ConfigError, OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

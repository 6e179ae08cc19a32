"""Which lexicon entries the labelled sets use: entries that match no labelled row, and entries
that match exactly one (the honest size of the lexicon's evidence).

Counts rows of our own labelled sets and dev sentences, and, when it is beside the project, the
real development set (../shared/wording-real/dev_set.yaml, read, never stored). Entries that no
labelled row matches still have an example in our own words in
tests/fixtures/wording_lexicon_examples.csv (a test checks it).

    .venv/bin/python benchmarks/bench_lexicon_coverage.py [--list]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import yaml  # noqa: E402

from evidence.wording.lexicon import lexicon_entries  # noqa: E402
from tests.wording_helpers import own_labelled_texts  # noqa: E402

LEXICON = PROJECT / "data" / "curated" / "wording_lexicon.yaml"
REAL_DEV = PROJECT.parent / "shared" / "wording-real" / "dev_set.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the entries that match no row")
    args = parser.parse_args()
    texts = own_labelled_texts()
    if REAL_DEV.exists():
        texts += [str(e["text"]) for e in yaml.safe_load(REAL_DEV.read_text(encoding="utf-8"))]
    counts = []
    for where, pattern in lexicon_entries(LEXICON):
        compiled = re.compile(pattern, re.I)
        counts.append((sum(1 for t in texts if compiled.search(t)), where, pattern))
    none = [c for c in counts if c[0] == 0]
    once = [c for c in counts if c[0] == 1]
    print(f"{len(counts)} entries over {len(texts)} labelled rows: {len(none)} match no row, {len(once)} exactly one")
    if args.list:
        for _, where, pattern in none:
            print(f"  {where}: {pattern}")


if __name__ == "__main__":
    main()

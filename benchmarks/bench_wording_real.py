"""The wording checker on real clinic copy: flag precision and recall per labelled entry.

Real copy is third-party text, so it is never stored in the project: this reads it from beside
the project. ``../shared/wording-real/dev_set.yaml`` is the development set (147 entries from 15
pages, labelled by the policy in its README); ``--set PATH`` names another file of the same form
(``text``, ``flag``, ``url``), such as a held-out set kept in a scratch folder.

Each page (entries with the same ``url``, in order) is checked as one draft, as marketing would
paste it: each entry on its own line; an entry after a lead-in (an entry ending in ":") or after
a list item, that has no sentence-ending punctuation, is a list item. An entry is flagged when a
flagged finding stands on its line. Verdicts: the project's ``data/derived/claim_verdicts.csv``
(what marketing gets), or ``--verdicts PATH``.

    .venv/bin/python benchmarks/bench_wording_real.py [--set PATH] [--verdicts PATH] [--show]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import yaml  # noqa: E402

from evidence.config import DataPaths  # noqa: E402
from evidence.curation.claims import load_claims  # noqa: E402
from evidence.wording.drafts import split_sentences  # noqa: E402
from evidence.wording.rules import check_sentences, load_verdicts  # noqa: E402

DEV_SET = PROJECT.parent / "shared" / "wording-real" / "dev_set.yaml"


def page_draft(entries: list[dict]) -> str:
    """The entries of one page as a draft: one line each, list items marked."""
    lines, in_list = [], False
    for entry in entries:
        text = " ".join(str(entry["text"]).split())
        item = in_list and not text.rstrip("\"'”’)").endswith((".", "!", "?"))
        lines.append(f"- {text}" if item else text)
        in_list = text.endswith(":") or item
    return "\n".join(lines) + "\n"


def flagged_entries(entries: list[dict], claims, verdicts) -> list[bool]:
    """Whether the checker flags each entry, reading the page as one draft."""
    findings = check_sentences(split_sentences(page_draft(entries)), claims, verdicts)
    lines = {f.line for f in findings if f.flagged}
    return [number in lines for number in range(1, len(entries) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEV_SET)
    parser.add_argument("--verdicts", type=Path, default=PROJECT / "data" / "derived" / "claim_verdicts.csv")
    parser.add_argument("--show", action="store_true", help="print every disagreement (development set only)")
    args = parser.parse_args()
    if not args.set.exists():
        sys.exit(f"{args.set} not found (it lives beside the project, never in it)")
    entries = yaml.safe_load(args.set.read_text(encoding="utf-8"))
    claims = load_claims(DataPaths(PROJECT / "data").claims)
    verdicts = load_verdicts(args.verdicts)
    pages: dict[str, list[dict]] = {}
    for entry in entries:
        pages.setdefault(entry["url"], []).append(entry)
    tp = fp = fn = 0
    for page in pages.values():
        for entry, predicted in zip(page, flagged_entries(page, claims, verdicts)):
            expected = bool(entry["flag"])
            tp += predicted and expected
            fp += predicted and not expected
            fn += expected and not predicted
            if args.show and predicted != expected:
                print(f"{'FP' if predicted else 'FN'}  {entry.get('topic', '')}: {entry['text'][:150]}")
    print(f"{args.set.name}: {len(entries)} entries from {len(pages)} pages, {tp + fn} to flag")
    print(
        f"  flag precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}  (tp {tp}, fp {fp}, fn {fn})"
    )


if __name__ == "__main__":
    main()

"""The wording checker on real clinic copy: flag precision and recall per labelled entry.

Real copy is third-party text, so it is never stored in the project: this reads it from beside
the project. ``../shared/wording-real/dev_set.yaml`` is the development set (147 entries from 15
pages, labelled by the policy in its README); ``--set PATH`` names another file of the same form
(``text``, ``flag``, ``url``), such as a held-out set kept in a scratch folder.

Each page (entries with the same ``url``, in order) is checked as one draft, as marketing would
paste it (:func:`evidence.wording.training.page_draft`: each entry on its own line; an entry after
a lead-in or a list item, without sentence-ending punctuation, is a list item). The checker is the
rules with the classifier's second opinion, as ``check-wording`` runs by default (a page is short,
so the thorough model decides); ``--model-choice fast`` or ``rules-only`` picks another (as
``check-wording --fast`` and ``--rules-only``), ``--model DIR`` names another trained model folder. An entry is flagged when a
flagged finding stands on its line. Verdicts: the project's ``data/derived/claim_verdicts.csv``
(what marketing gets), or ``--verdicts PATH``.

    .venv/bin/python benchmarks/bench_wording_real.py [--set PATH] [--verdicts PATH] [--show] [--model-choice CHOICE] [--model DIR]
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
from evidence.wording.classifier import OverclaimModel, model_dir  # noqa: E402
from evidence.wording.drafts import split_sentences  # noqa: E402
from evidence.wording.rules import check_sentences, load_verdicts  # noqa: E402
from evidence.wording.thorough import CHOICES, checker_model  # noqa: E402
from evidence.wording.training import page_draft  # noqa: E402

DEV_SET = PROJECT.parent / "shared" / "wording-real" / "dev_set.yaml"


def flagged_entries(entries: list[dict], claims, verdicts, model: OverclaimModel | None = None) -> list[bool]:
    """Whether the checker flags each entry, reading the page as one draft."""
    draft = page_draft([entry["text"] for entry in entries])
    findings = check_sentences(split_sentences(draft), claims, verdicts, model=model and model.for_length(len(draft)))
    lines = {f.line for f in findings if f.flagged}
    return [number in lines for number in range(1, len(entries) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEV_SET)
    parser.add_argument("--verdicts", type=Path, default=PROJECT / "data" / "derived" / "claim_verdicts.csv")
    parser.add_argument("--show", action="store_true", help="print every disagreement (development set only)")
    parser.add_argument("--model-choice", choices=CHOICES, default="auto", help="the checker's model (default auto)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default data/curated/wording_model)")
    args = parser.parse_args()
    if not args.set.exists():
        sys.exit(f"{args.set} not found (it lives beside the project, never in it)")
    entries = yaml.safe_load(args.set.read_text(encoding="utf-8"))
    claims = load_claims(DataPaths(PROJECT / "data").claims)
    verdicts = load_verdicts(args.verdicts)
    model = checker_model(args.model or model_dir(), args.model_choice)
    pages: dict[str, list[dict]] = {}
    for entry in entries:
        pages.setdefault(entry["url"], []).append(entry)
    tp = fp = fn = 0
    for page in pages.values():
        for entry, predicted in zip(page, flagged_entries(page, claims, verdicts, model)):
            expected = bool(entry["flag"])
            tp += predicted and expected
            fp += predicted and not expected
            fn += expected and not predicted
            if args.show and predicted != expected:
                print(f"{'FP' if predicted else 'FN'}  {entry.get('topic', '')}: {entry['text'][:150]}")
    checker = f"rules and model choice {args.model_choice}"
    print(f"{args.set.name} ({checker}): {len(entries)} entries from {len(pages)} pages, {tp + fn} to flag")
    print(
        f"  flag precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}  (tp {tp}, fp {fp}, fn {fn})"
    )


if __name__ == "__main__":
    main()

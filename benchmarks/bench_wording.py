"""Benchmark of the wording checker: quality on two labelled sets, then speed.

Quality (verdicts: the frozen table the labels assume, tests/fixtures/wording_verdicts.csv):

* the clinic-style set (data/curated/wording_clinic_style.csv, written after 31 public clinic
  pages; benchmarks/wording_clinic/), its ``tune`` and ``heldout`` splits reported separately.
  A row is a sentence or a short snippet (lines joined by a literal ``\\n``) and is one unit:
  it is flagged when any of its findings is flagged, a claim when it has any finding;
* the older set written together with the lexicon (data/curated/wording_labelled.csv);
* our own sentences written while tuning, after more public pages were read
  (tests/fixtures/wording_dev_sentences.csv; flags only);
* the first fresh clinic-style set (data/curated/wording_fresh_1.csv, written after 32 other
  clinic pages and measured once before any tuning, benchmarks/wording_clinic/fresh_1_first_run.md);
  it has since been tuned on, so its figures are no longer held-out figures;
* the second fresh set (data/curated/wording_fresh_2.csv, 274 rows written after 38 further clinic
  pages by someone who saw neither the tuning data nor the checker's output, frozen with its sha256
  in benchmarks/wording_clinic/fresh_2_frozen.txt, and run once after the last tuning): the
  held-out figure. Tuning on it would spend it; write a new set instead.

For each: flag precision and recall, claim-detection precision and recall, and topics: on rows
that are claims and were detected, the share of expected topics found (topic recall) and of
found topics that were expected (topic precision); for the old set, whose rows have one
expected topic, topic accuracy (the expected topic is among the findings' topics, or both are
empty). Disagreements are printed for the tune split and the old set only: the held-out split
is only ever reported as numbers.

The checker is the one ``check-wording`` runs by default (``--model-choice auto``: the thorough model
for drafts of up to 10,000 characters, the fast one beyond, so the 1 MB and larger drafts are
checked by the fast model); ``--model-choice thorough``, ``fast`` or ``rules-only`` picks another.
The speed figures also give the thorough model's pace on a 10 KB draft, and on run-on text.

    .venv/bin/python benchmarks/bench_wording.py [--no-speed] [--sizes 0.1,1,10] [--model-choice CHOICE]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import pandas as pd  # noqa: E402

from evidence.wording import rules  # noqa: E402
from evidence.wording.classifier import model_dir  # noqa: E402
from evidence.wording.drafts import split_sentences  # noqa: E402
from evidence.wording.thorough import CHOICES, checker_model  # noqa: E402
from tests.wording_helpers import fixture  # noqa: E402

CLINIC = PROJECT / "data" / "curated" / "wording_clinic_style.csv"
OLD = PROJECT / "data" / "curated" / "wording_labelled.csv"
DEV = PROJECT / "tests" / "fixtures" / "wording_dev_sentences.csv"
FRESH_1 = PROJECT / "data" / "curated" / "wording_fresh_1.csv"
FRESH_2 = PROJECT / "data" / "curated" / "wording_fresh_2.csv"


@dataclass(frozen=True)
class Unit:
    """One labelled row: its text and what the labels expect."""

    text: str
    is_claim: bool
    topics: frozenset[str]
    flagged: bool


def clinic_units(split: str | None = None, path: Path = CLINIC) -> list[Unit]:
    """The rows of a clinic-style set (of one split, when given)."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    if split is not None:
        rows = rows[rows["split"] == split]
    return [
        Unit(
            r.text.replace("\\n", "\n"),
            r.is_claim == "true",
            frozenset(t for t in r.expected_topics.split(";") if t),
            r.expected_flagged == "true",
        )
        for r in rows.itertuples()
    ]


def old_units() -> list[Unit]:
    rows = pd.read_csv(OLD, dtype=str, keep_default_na=False)
    return [
        Unit(r.sentence, bool(r.expected_topic), frozenset([r.expected_topic]) - {""}, r.expected_flagged == "true")
        for r in rows.itertuples()
    ]


def dev_units() -> list[Unit]:
    """Our own sentences written while tuning, after pages read then (flags only)."""
    rows = pd.read_csv(DEV, dtype=str, keep_default_na=False)
    return [
        Unit(r.text.replace("\\n", "\n"), r.expected_flagged == "true", frozenset(), r.expected_flagged == "true")
        for r in rows.itertuples()
    ]


def check_unit(text: str, claims, verdicts, model=None) -> list:
    """Findings of one labelled unit, the text checked as one small draft (without the notes on
    claims about other treatments: the labels are about claims for dry needling)."""
    findings = rules.check_sentences(split_sentences(text), claims, verdicts, model=model)
    return [f for f in findings if not rules.unchecked(f)]


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def report_quality(
    name: str,
    units: list[Unit],
    claims,
    verdicts,
    show_disagreements: bool,
    claims_labelled: bool = True,
    model=None,
) -> None:
    tp = fp = fn = ctp = cfp = cfn = topic_hits = topic_found = topic_expected = topic_right = 0
    disagreements = []
    for unit in units:
        findings = check_unit(unit.text, claims, verdicts, model)
        flagged, claimed = any(f.flagged for f in findings), bool(findings)
        found = frozenset(t for f in findings for t in f.topics) | frozenset(f.topic for f in findings if f.topic)
        tp += flagged and unit.flagged
        fp += flagged and not unit.flagged
        fn += unit.flagged and not flagged
        ctp += claimed and unit.is_claim
        cfp += claimed and not unit.is_claim
        cfn += unit.is_claim and not claimed
        if unit.is_claim and claimed:
            topic_expected += len(unit.topics)
            topic_found += len(found)
            topic_right += len(found & unit.topics)
        topic_hits += (not unit.topics and not claimed) or bool(unit.topics & found)
        if flagged != unit.flagged or (claims_labelled and claimed != unit.is_claim):
            disagreements.append(
                f"  {'flag' if unit.flagged else 'ok'}/{'claim' if unit.is_claim else '-'} -> "
                f"{'flag' if flagged else 'ok'}/{'claim' if claimed else '-'} "
                f"[{';'.join(sorted(found))}]: {unit.text!r}"
            )
    print(
        f"{name}: {len(units)} units, {sum(u.flagged for u in units)} expected flagged, "
        f"{sum(u.is_claim for u in units)} claims"
    )
    print(
        f"  flag   precision {_ratio(tp, tp + fp):.3f}  recall {_ratio(tp, tp + fn):.3f}  (tp {tp}, fp {fp}, fn {fn})"
    )
    if claims_labelled:
        print(
            f"  claim  precision {_ratio(ctp, ctp + cfp):.3f}  recall {_ratio(ctp, ctp + cfn):.3f}  "
            f"(tp {ctp}, fp {cfp}, fn {cfn})"
        )
        print(
            f"  topics recall {_ratio(topic_right, topic_expected):.3f}  "
            f"precision {_ratio(topic_right, topic_found):.3f}  accuracy {_ratio(topic_hits, len(units)):.3f}"
        )
    if show_disagreements and disagreements:
        print("  disagreements (expected flag/claim -> got [topics]):")
        print("\n".join(disagreements))
    print()


def generated_text(size: int) -> str:
    """About ``size`` bytes of draft text: the labelled units repeated, one paragraph each."""
    pieces = [u.text for u in clinic_units("tune")] + [u.text for u in old_units()]
    block = "\n\n".join(pieces) + "\n\n"
    return (block * (size // len(block) + 1))[:size]


def report_speed(claims, verdicts, sizes_mb: list[float], model=None) -> None:
    """Sentences per second of splitting and checking generated drafts of the given sizes (wall
    time, and CPU time of this process, which a busy machine disturbs less)."""
    for mb in sizes_mb:
        text = generated_text(int(mb * 1_000_000))
        start, cpu = time.perf_counter(), time.process_time()
        sentences = split_sentences(text)
        findings = rules.check_sentences(sentences, claims, verdicts, model=model and model.for_length(len(text)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"speed: {len(text) / 1e6:g} MB, {len(sentences):,} sentences, {len(findings):,} findings in "
            f"{elapsed:.2f} s wall ({cpu:.2f} s CPU) = {len(sentences) / elapsed:,.0f} sentences/s "
            f"({len(sentences) / cpu:,.0f} per CPU second)"
        )


RUN_ON_UNIT = "dry needling relieves neck pain and it boosts blood flow, and the muscles relax "


def report_run_on(claims, verdicts, model=None, label: str = "") -> None:
    """Run-on text (no sentence end at all, no capitals): 20 KB and 200 KB, checked with the same
    model; linear reading takes about 10 times as long for 10 times the text (the target: at most 15
    times)."""
    seconds = {}
    for size in (20_000, 200_000):
        text = (RUN_ON_UNIT * (size // len(RUN_ON_UNIT) + 1))[:size]
        cpu = time.process_time()
        rules.check_sentences(split_sentences(text), claims, verdicts, model=model)
        seconds[size] = time.process_time() - cpu
    print(
        f"run-on{label}: 20 KB {seconds[20_000]:.2f} s CPU, 200 KB {seconds[200_000]:.2f} s CPU "
        f"({seconds[200_000] / seconds[20_000]:.1f} times as long for 10 times the text)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-speed", action="store_true", help="only the quality figures")
    parser.add_argument("--sizes", default="0.1,1,10", help="generated draft sizes in MB (comma-separated)")
    parser.add_argument("--model-choice", choices=CHOICES, default="auto", help="the checker's model (default auto)")
    args = parser.parse_args()
    claims, verdicts = fixture()
    model = checker_model(model_dir(), args.model_choice)
    print(f"checker: rules and model choice {args.model_choice}")
    report_quality("clinic-style, tune", clinic_units("tune"), claims, verdicts, True, model=model)
    report_quality("clinic-style, heldout", clinic_units("heldout"), claims, verdicts, False, model=model)
    report_quality("old set (written with the lexicon)", old_units(), claims, verdicts, True, model=model)
    report_quality(
        "dev sentences (ours, written while tuning; flags only)",
        dev_units(),
        claims,
        verdicts,
        show_disagreements=True,
        claims_labelled=False,
        model=model,
    )
    report_quality(
        "fresh set 1 (after 32 other clinic pages; tuned on since its first run)",
        clinic_units(path=FRESH_1),
        claims,
        verdicts,
        show_disagreements=True,
        model=model,
    )
    report_quality(
        "fresh set 2 (after 38 more clinic pages; held out: never tuned on)",
        clinic_units(path=FRESH_2),
        claims,
        verdicts,
        show_disagreements=False,
        model=model,
    )
    if not args.no_speed:
        sizes = [float(s) for s in args.sizes.split(",")]
        report_speed(claims, verdicts, [0.01] + sizes if args.model_choice == "auto" else sizes, model)
        report_run_on(claims, verdicts, model and model.for_length(200_000), " (the model for 200 KB)")
        if model and model.for_length(200_000) is not model:
            report_run_on(claims, verdicts, model, " (thorough model at both sizes)")


if __name__ == "__main__":
    main()

"""Benchmark of the wording checker on the labelled sentences.

Prints precision and recall of ``flagged``, accuracy per expected topic (topic and flag), the
disagreements, and throughput in sentences per second. The verdicts are the constructed table
the labels assume (tests/fixtures/wording_verdicts.csv).

    .venv/bin/python benchmarks/bench_wording.py [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import pandas as pd  # noqa: E402

from evidence import wording  # noqa: E402

LABELLED = PROJECT / "data" / "curated" / "wording_labelled.csv"
VERDICTS = PROJECT / "tests" / "fixtures" / "wording_verdicts.csv"


def load_inputs() -> tuple[pd.DataFrame, list[dict[str, str]], pd.DataFrame]:
    """The labelled sentences, the register claims and the verdicts of the fixture."""
    labelled = pd.read_csv(LABELLED, dtype=str, keep_default_na=False)
    verdicts = pd.read_csv(VERDICTS, dtype=str, keep_default_na=False)
    claims = [{"id": r.claim_id, "statement": r.statement, "topic": r.topic, "frequency_claimed": r.frequency_claimed}
              for r in verdicts.itertuples()]
    return labelled, claims, verdicts


def predictions(labelled: pd.DataFrame, claims: list, verdicts: pd.DataFrame) -> list[tuple[str, bool]]:
    """(topic, flagged) per labelled sentence; topic "" when the sentence is not reported."""
    register = wording.build_register(claims, verdicts)
    out = []
    for sentence in labelled["sentence"]:
        finding = wording.check_sentence(sentence, register)
        out.append((finding.topic, finding.flagged) if finding else ("", False))
    return out


def report_quality(labelled: pd.DataFrame, predicted: list[tuple[str, bool]]) -> None:
    """Precision, recall, per-topic accuracy and the disagreements."""
    expected = [(t, f == "true") for t, f in zip(labelled["expected_topic"], labelled["expected_flagged"])]
    tp = sum(p[1] and e[1] for p, e in zip(predicted, expected))
    fp = sum(p[1] and not e[1] for p, e in zip(predicted, expected))
    fn = sum(e[1] and not p[1] for p, e in zip(predicted, expected))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"labelled sentences: {len(expected)} ({sum(e[1] for e in expected)} expected flagged)")
    print(f"precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    topic_hits = sum(p[0] == e[0] for p, e in zip(predicted, expected))
    print(f"topic accuracy {topic_hits / len(expected):.3f}\n")
    per_topic: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for p, e in zip(predicted, expected):
        per_topic[e[0] or "(not a claim)"].append((p[0] == e[0], p[1] == e[1]))
    print(f"{'expected topic':28} {'n':>3} {'topic':>6} {'flag':>6}")
    for topic in sorted(per_topic):
        rows = per_topic[topic]
        print(f"{topic:28} {len(rows):>3} {sum(r[0] for r in rows) / len(rows):>6.2f} "
              f"{sum(r[1] for r in rows) / len(rows):>6.2f}")
    misses = [(s, e, p) for s, e, p in zip(labelled["sentence"], expected, predicted) if e != p]
    if misses:
        print("\ndisagreements (expected -> got):")
        for sentence, e, p in misses:
            print(f"  {e[0] or '-'}/{'flag' if e[1] else 'ok'} -> {p[0] or '-'}/{'flag' if p[1] else 'ok'}: {sentence}")


def report_speed(labelled: pd.DataFrame, claims: list, verdicts: pd.DataFrame, repeat: int) -> None:
    """Sentences per second of :func:`evidence.wording.check_sentences` (register built once per call)."""
    sentences = list(labelled["sentence"]) * repeat
    start = time.perf_counter()
    wording.check_sentences(sentences, claims, verdicts)
    elapsed = time.perf_counter() - start
    print(f"\nthroughput: {len(sentences)} sentences in {elapsed:.2f} s = {len(sentences) / elapsed:,.0f} sentences/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="copies of the labelled set for the speed run")
    args = parser.parse_args()
    labelled, claims, verdicts = load_inputs()
    report_quality(labelled, predictions(labelled, claims, verdicts))
    report_speed(labelled, claims, verdicts, args.repeat)


if __name__ == "__main__":
    main()

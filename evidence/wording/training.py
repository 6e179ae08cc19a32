"""Labelled copy for the wording classifier: real clinic pages and the project's own-words sets,
read and turned into examples (:func:`evidence.wording.classifier.example`) as the checker sees them.

A **labelled page set** is a YAML list of entries ``{text, flag, url, ...}`` (the form of
``../shared/wording-real/dev_set.yaml``); the entries of one ``url``, in order, are one page. A
page is read as one draft (:func:`page_draft`: one entry per line, an unpunctuated entry after a
lead-in or a list item is a list item), so that an entry's line carries its label. An **own-words
set** is a CSV of the project with a text column and ``expected_flagged`` (true/false); each row is
one draft.

One example per labelled line or row: when a line holds several sentences, they are one example
(:func:`evidence.wording.classifier.example`). Bad input: ConfigError naming the file, the entry or
row, and what is wrong.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from evidence.config import ConfigError
from evidence.curation.claims import Claim
from evidence.tables import read_csv
from evidence.wording.classifier import Example, example
from evidence.wording.drafts import split_sentences
from evidence.wording.lexicon import Lexicon
from evidence.wording.rules import Finding, check_sentences, unchecked

#: the project's own-words sets (path from the project root, text column)
OWN_SETS = (
    ("data/curated/wording_clinic_style.csv", "text"),
    ("data/curated/wording_fresh_1.csv", "text"),
    ("data/curated/wording_fresh_2.csv", "text"),
    ("data/curated/wording_labelled.csv", "sentence"),
    ("tests/fixtures/wording_dev_sentences.csv", "text"),
    ("data/curated/wording_hedged.csv", "text"),
)
Labelled = list[tuple[Example, bool]]


def sha256(path: Path) -> str:
    """The file's sha256 (hex), as ``model.json`` names the files a model was trained on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def page_draft(lines: Sequence[str]) -> str:
    """A page's entries as one draft: one line each (whitespace collapsed); an entry after a lead-in
    (ending in ":") or after a list item, that does not end a sentence, becomes a list item ("- ")."""
    out, in_list = [], False
    for line in lines:
        text = " ".join(str(line).split())
        item = in_list and not text.rstrip("\"'”’)").endswith((".", "!", "?"))
        out.append(f"- {text}" if item else text)
        in_list = text.endswith(":") or item
    return "\n".join(out) + "\n"


def load_page_set(path: Path) -> dict[str, list[tuple[str, bool]]]:
    """The pages of a labelled page set by url, each a list of (text, flag) in order; ConfigError
    naming the file and entry number when an entry lacks text, a true/false flag or a url."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the labelled set ({exc})") from None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a list of entries with text, flag and url")
    pages: dict[str, list[tuple[str, bool]]] = {}
    for number, entry in enumerate(entries, start=1):
        if not (isinstance(entry, dict) and isinstance(entry.get("text"), str) and isinstance(entry.get("flag"), bool)):
            raise ConfigError(f"{path}: entry {number}: needs text (a string) and flag (true or false)")
        if not entry.get("url"):
            raise ConfigError(f"{path}: entry {number}: needs the url of its page")
        pages.setdefault(str(entry["url"]), []).append((entry["text"], entry["flag"]))
    return pages


#: the columns of a label file: a labelled set's labels without its text (:func:`label_table`)
LABEL_COLUMNS = ("url", "entry", "text_sha256", "flag")


def text_fingerprint(text: str) -> str:
    """The sha256 (hex) of an entry's text, whitespace collapsed: what a label file keeps in
    place of third-party text, enough to find the entry again in a fresh copy of its page."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def label_table(path: Path) -> pd.DataFrame:
    """The labels of a labelled page set without its text: per entry its page's ``url``, its
    number on the page (``entry``, from 1), :func:`text_fingerprint` and ``flag`` (true/false).
    Labels are the project's own work; kept in the repository, they outlive the scratch folder
    that holds the text (the first forty-nine sets' did not), and :func:`restore_labels` puts
    them back on the entries of a page copied again."""
    rows = [
        (url, number, text_fingerprint(text), "true" if flag else "false")
        for url, page in load_page_set(path).items()
        for number, (text, flag) in enumerate(page, start=1)
    ]
    return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))


def restore_labels(entries: Sequence[dict], labels: pd.DataFrame) -> tuple[list[dict], int]:
    """``entries`` (``{text, url}``, copied again from the pages of a label file) with the ``flag``
    of the label whose url and fingerprint they match, and how many matched none (those keep no
    flag: they need labelling by the policy again)."""
    known = {(url, sha): flag == "true" for url, sha, flag in zip(labels["url"], labels["text_sha256"], labels["flag"])}
    restored, missing = [], 0
    for entry in entries:
        flag = known.get((str(entry.get("url", "")), text_fingerprint(str(entry.get("text", "")))))
        missing += flag is None
        restored.append({**entry, "flag": flag} if flag is not None else dict(entry))
    return restored, missing


def _by_sentence(findings: Sequence[Finding]) -> dict[int, list[Finding]]:
    grouped: dict[int, list[Finding]] = {}
    for f in findings:
        grouped.setdefault(f.index, []).append(f)
    return grouped


def draft_examples(
    text: str, labels: Sequence[bool], claims: Sequence[Claim], verdicts: pd.DataFrame, lexicon: Lexicon
) -> Labelled:
    """One example per labelled line of a draft (``labels[k]`` is line k + 1's); a draft read as one
    labelled row has a single label for all its lines."""
    sentences = split_sentences(text)
    # notes on claims about other treatments are output, not the rules' findings the classifier reads
    checked = [f for f in check_sentences(sentences, claims, verdicts, lexicon=lexicon) if not unchecked(f)]
    findings = _by_sentence(checked)
    lines: dict[int, list] = {}  # labelled line -> its sentences (one row: all on line 1)
    for s in sentences:
        lines.setdefault(s.line if len(labels) > 1 else 1, []).append(s)
    examples, text_before, findings_before = [], "", None
    for line, group in lines.items():
        found = [f for s in group for f in findings.get(s.index, [])]
        examples.append((example(group, found, text_before, findings_before), labels[line - 1]))
        text_before, findings_before = group[-1].text, findings.get(group[-1].index, [])
    return examples


def page_set_examples(path: Path, claims: Sequence[Claim], verdicts: pd.DataFrame, lexicon: Lexicon) -> Labelled:
    """The examples of every page of a labelled page set."""
    out: Labelled = []
    for page in load_page_set(path).values():
        out += draft_examples(page_draft([t for t, _ in page]), [f for _, f in page], claims, verdicts, lexicon)
    return out


def own_set_examples(
    path: Path, text_column: str, claims: Sequence[Claim], verdicts: pd.DataFrame, lexicon: Lexicon
) -> Labelled:
    """The examples of an own-words set: one per row (``\\n`` in a cell is a line break)."""
    table = read_csv(path, columns=[text_column, "expected_flagged"])
    out: Labelled = []
    for number, (text, flag) in enumerate(zip(table[text_column], table["expected_flagged"]), start=2):
        if flag not in ("true", "false"):
            raise ConfigError(f"{path}: line {number}: expected_flagged must be true or false, not {flag!r}")
        out += draft_examples(str(text).replace("\\n", "\n"), [flag == "true"], claims, verdicts, lexicon)
    return out


def training_examples(
    real_sets: Sequence[Path], project: Path, claims: Sequence[Claim], verdicts: pd.DataFrame, lexicon: Lexicon
) -> tuple[Labelled, list[dict]]:
    """The examples both models are trained on: every labelled real page set in ``real_sets``, then
    the project's own-words sets (:data:`OWN_SETS`, under ``project``); and where each set came from
    (file, kind, sha256, examples, overclaims), as the models' settings record it (never its text)."""
    examples: Labelled = []
    sources = []
    named = [(p, "/".join(p.resolve().parts[-2:]), "real clinic copy (not in the project)", None) for p in real_sets]
    for path, name, kind, column in named + [(project / r, r, "own words", c) for r, c in OWN_SETS]:
        found = (
            own_set_examples(path, column, claims, verdicts, lexicon)
            if column
            else page_set_examples(path, claims, verdicts, lexicon)
        )
        examples += found
        sources.append(
            {
                "file": name,
                "kind": kind,
                "sha256": sha256(path),
                "examples": len(found),
                "overclaims": sum(y for _, y in found),
            }
        )
    return examples, sources

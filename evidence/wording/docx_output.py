"""Word output of the wording checker: the draft as a .docx with one Word comment per flagged claim.

Each comment says the verdict and certainty of the claim it was checked against, why the claim is
flagged and the wording the evidence allows instead (:func:`comment_lines`). It is anchored on
the runs of the flagged sentence; a claim sentence with two flagged claims gets two comments. A
sentence whose claim is about another treatment gets a "Not checked" comment, so that a writer who
reads only the document does not take silence for approval.

- :func:`annotated_docx` ``(draft, original)``: for a .docx draft (``original`` its bytes) the same
  document, its formatting kept, with the comments added; for any other draft (pasted text,
  Markdown, HTML) a new document, one paragraph per line of the draft (list items in the
  "List Bullet" or "List Number" style, headings in the "Heading N" style of their level) and one run per sentence.
- :func:`run_check_wording_docx`: ``check-wording --format docx --output OUT.docx DRAFT``.

How a sentence is found in a .docx: the paragraphs are read in the order the reader reads them
(:func:`evidence.wording.drafts.docx_paragraphs`: table cells where the table stands), each paragraph's text
made from its runs (also those inside hyperlinks) with runs of white space collapsed as the reader
collapses them. Each flagged sentence is looked for after the previous one, and then from the
start. A run that holds text beyond the sentence is split at the sentence's edge (its
formatting copied to both halves) when it holds only text; a run with anything else (a field, a
picture) is kept whole and the comment covers all of it. A sentence that is not found (the reader
and the document disagree) gets its comment on a paragraph added at the end that quotes it, so
there is always one comment per flagged claim.

Usage::

    drafts = check_drafts(["draft.docx"], claims, verdicts)
    Path("checked.docx").write_bytes(annotated_docx(drafts[0], Path("draft.docx").read_bytes()))
"""

from __future__ import annotations

import copy
import io
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import pandas as pd

from evidence.config import ConfigError
from evidence.curation.claims import Claim
from evidence.tables import atomic_write_bytes
from evidence.wording.classifier import CHECKERS, OverclaimModel
from evidence.wording.drafts import STDIN, docx_paragraphs, format_of
from evidence.wording.lexicon import Lexicon
from evidence.wording.rules import Draft, Finding, check_drafts, exit_code, unchecked

AUTHOR, INITIALS = "Evidence wording checker", "EW"
# run content that splitting keeps (Run.text reads and writes these); anything else keeps the run whole
_SPLITTABLE = frozenset({"rPr", "t", "tab", "lastRenderedPageBreak"})


def comment_lines(finding: Finding) -> list[str]:
    """The paragraphs of the comment on a flagged finding (verdict and certainty, why, instead, what
    checked it) or on a note on a claim about another treatment (not checked, why)."""
    if unchecked(finding):
        return [f"Not checked ({finding.topic})", f"Why: {finding.reason}"]
    certainty = f", certainty {finding.certainty.replace('_', ' ')}" if finding.certainty else ""
    against = f"claim {finding.claim_id}" if finding.claim_id else "no register claim"
    wording = ", ".join(x for x in (finding.topic, f"{finding.strength} wording" if finding.strength else "") if x)
    lines = [
        f"Flagged ({wording or 'no topic'}): {finding.verdict or 'no verdict'}{certainty} ({against})",
        f"Why: {finding.reason}",
    ]
    if finding.suggestion:
        lines.append(f"Instead: {finding.suggestion}")
    return [*lines, f"Checked by {CHECKERS[finding.checked_by]}."]


def _add_comment(document, runs: list, finding: Finding) -> None:
    first, *rest = comment_lines(finding)
    comment = document.add_comment(runs, text=first, author=AUTHOR, initials=INITIALS)
    for line in rest:
        comment.add_paragraph(line)


def _commented_by_sentence(draft: Draft) -> dict[int, list[Finding]]:
    """The findings that get a comment (flagged claims and notes on other treatments' claims), by sentence."""
    by_sentence: dict[int, list[Finding]] = {}
    for finding in draft.findings:
        if finding.flagged or unchecked(finding):
            by_sentence.setdefault(finding.index, []).append(finding)
    return by_sentence


def _new_document(draft: Draft) -> bytes:
    import docx

    document = docx.Document()
    commented = _commented_by_sentence(draft)
    paragraph, line = None, None
    for sentence in draft.sentences:
        if sentence.block != line:
            list_style = "List Number" if sentence.numbered else "List Bullet"
            style = list_style if sentence.list_item else f"Heading {sentence.heading}" if sentence.heading else None
            paragraph = document.add_paragraph(style=style)
            line = sentence.block
        elif paragraph.runs:
            paragraph.add_run(" ")
        run = paragraph.add_run(sentence.text)
        for finding in commented.get(sentence.index, []):
            _add_comment(document, [run], finding)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _runs(paragraph) -> list:
    """The paragraph's runs in text order, those inside hyperlinks too."""
    from docx.text.hyperlink import Hyperlink

    runs = []
    for item in paragraph.iter_inner_content():
        runs.extend(item.runs if isinstance(item, Hyperlink) else [item])
    return runs


def _collapsed(runs: list) -> tuple[str, list[int]]:
    """The runs' text with white space collapsed and stripped (as the reader does), and for each of
    its characters the offset of that character in the runs' joined text."""
    raw = "".join(r.text for r in runs)
    text, where = [], []
    for offset, char in enumerate(raw):
        if char.isspace():
            if not text or text[-1] == " ":
                continue
            char = " "
        text.append(char)
        where.append(offset)
    if text and text[-1] == " ":
        text.pop(), where.pop()
    return "".join(text), where


def _splittable(run) -> bool:
    return all(child.tag.rsplit("}", 1)[-1] in _SPLITTABLE for child in run._r)


def _split(run, at: int):
    """Split a text-only run at character ``at``; return the second half (a run with the same formatting)."""
    from docx.text.run import Run

    text = run.text
    twin = copy.deepcopy(run._r)
    run._r.addnext(twin)
    second = Run(twin, run._parent)
    run.text, second.text = text[:at], text[at:]
    return second


def _sentence_runs(paragraph, start: int, end: int) -> list:
    """The runs covering characters ``start:end`` of the paragraph's joined run text, split at the
    edges where they hold only text."""
    spans, offset = [], 0
    for run in _runs(paragraph):
        spans.append((run, offset, offset + len(run.text)))
        offset += len(run.text)
    covering = [(r, a, b) for r, a, b in spans if a < end and b > start]
    first, a, b = covering[0]
    if a < start and _splittable(first):
        first = _split(first, start - a)
        covering[0] = (first, start, b)
    last, c, d = covering[-1]
    if d > end and _splittable(last):
        _split(last, end - c)
    return [first, last]


def _annotate(document, draft: Draft) -> None:
    paragraphs = list(docx_paragraphs(document))
    commented = _commented_by_sentence(draft)
    cursor = (0, 0)  # paragraph number and character of the collapsed text where the last sentence ended
    for sentence in draft.sentences:
        if sentence.index not in commented:
            continue
        found = _find(paragraphs, sentence.text, cursor) or _find(paragraphs, sentence.text, (0, 0))
        if found:
            number, start, end, cursor = found
            runs = _sentence_runs(paragraphs[number], start, end)
        else:
            paragraph = document.add_paragraph("Sentence commented by the wording checker, not found in the text: ")
            runs = [paragraph.add_run(sentence.text)]
        for finding in commented[sentence.index]:
            _add_comment(document, runs, finding)


def _find(paragraphs: list, sentence: str, cursor: tuple[int, int]):
    """Where ``sentence`` stands from ``cursor`` on: (paragraph number, start and end in its joined
    run text, the cursor after it), or None."""
    number, skip = cursor
    for p in range(number, len(paragraphs)):
        text, where = _collapsed(_runs(paragraphs[p]))
        found = text.find(sentence, skip if p == number else 0)
        if found >= 0 and sentence:
            last = found + len(sentence) - 1
            return p, where[found], where[last] + 1, (p, last + 1)
    return None


def annotated_docx(draft: Draft, original: bytes | None = None) -> bytes:
    """The draft as a .docx with one comment per flagged claim and per note on another treatment's
    claim: ``original`` (the bytes of a .docx
    draft) annotated with its formatting kept, or a new document when ``original`` is None."""
    if original is None:
        return _new_document(draft)
    import docx

    document = docx.Document(io.BytesIO(original))
    _annotate(document, draft)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def run_check_wording_docx(
    paths: Iterable[str],
    output: str | Path,
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    err: TextIO | None = None,
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> int:
    """``check-wording --format docx --output OUT.docx DRAFT``: write the annotated draft to
    ``output`` (atomically) and return the exit code (2 an unreadable draft, nothing written; else 1
    when anything is flagged, else 0). One draft only: ConfigError otherwise."""
    paths = list(paths)
    if len(paths) != 1:
        raise ConfigError(f"--format docx writes one document: give one draft, not {len(paths)}")
    (draft,) = check_drafts(paths, claims, verdicts, lexicon, model)
    if draft.error:
        print(f"error: {draft.error}", file=err or sys.stderr)
        return exit_code([], bad_input=True)
    is_docx = paths[0] != STDIN and format_of(paths[0]) == "docx"
    atomic_write_bytes(Path(output), annotated_docx(draft, Path(paths[0]).read_bytes() if is_docx else None))
    return exit_code(draft.findings)

"""Word output: one comment per flagged claim, anchored on its sentence, the uploaded document's
formatting kept; the command line's --format docx --output."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import docx
from docx.shared import Pt
from lxml import etree

from evidence.wording import rules
from evidence.wording.docx_output import annotated_docx, comment_lines
from tests.wording_helpers import ALL, register_of, write

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

TEXT = (
    "Dry needling eliminates neck pain.\n"
    "Dry needling may reduce neck pain slightly. It flushes out lactic acid and is completely safe.\n"
    "- We are open daily.\n"
)


def anchored_text(data: bytes) -> dict[str, str]:
    """Each comment's id -> the text between its range start and end in document.xml."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    open_ids: set[str] = set()
    text: dict[str, str] = {}
    for element in root.iter():
        if element.tag == f"{W}commentRangeStart":
            open_ids.add(element.get(f"{W}id"))
            text.setdefault(element.get(f"{W}id"), "")
        elif element.tag == f"{W}commentRangeEnd":
            open_ids.discard(element.get(f"{W}id"))
        elif element.tag == f"{W}t":
            for cid in open_ids:
                text[cid] += element.text or ""
    return text


def checked(path) -> rules.Draft:
    claims, verdicts = register_of(ALL)
    (draft,) = rules.check_drafts([path], claims, verdicts)
    return draft


def comments(data: bytes) -> dict[str, str]:
    return {str(c.comment_id): c.text for c in docx.Document(io.BytesIO(data)).comments}


def test_a_claim_in_a_table_between_paragraphs_is_numbered_and_commented_where_it_stands(tmp_path):
    original = docx.Document()
    original.add_paragraph("Dry needling eliminates neck pain.")
    original.add_table(rows=1, cols=1).cell(0, 0).text = "Dry needling cures headaches."
    original.add_paragraph("Lactic acid is flushed out by dry needling.")
    source = tmp_path / "table.docx"
    original.save(source)
    draft = checked(source)
    lines = {f.sentence: f.line for f in draft.findings if f.flagged}
    assert lines == {
        "Dry needling eliminates neck pain.": 1,
        "Dry needling cures headaches.": 2,
        "Lactic acid is flushed out by dry needling.": 3,
    }
    data = annotated_docx(draft, source.read_bytes())
    assert sorted(anchored_text(data).values()) == sorted(f.sentence for f in draft.findings if f.flagged)
    assert len(docx.Document(io.BytesIO(data)).paragraphs) == 2  # every comment found its sentence


def test_pasted_text_gets_a_new_document_with_one_comment_per_flagged_claim_on_its_sentence(tmp_path):
    draft = checked(write(tmp_path, "draft.md", TEXT))
    flagged = [f for f in draft.findings if f.flagged]
    assert len(flagged) >= 3 and len(flagged) < len(draft.findings)  # the hedged neck sentence is not flagged
    data = annotated_docx(draft)
    assert len(comments(data)) == len(flagged)
    assert sorted(anchored_text(data).values()) == sorted(f.sentence for f in flagged)
    # the comment says verdict and certainty, why and the wording to use instead
    by_text = list(comments(data).values())
    for finding in flagged:
        assert "\n".join(comment_lines(finding)) in by_text
    assert any("Instead: Do not mention lactic acid." in c for c in by_text)
    document = docx.Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == [
        "Dry needling eliminates neck pain.",
        "Dry needling may reduce neck pain slightly. It flushes out lactic acid and is completely safe.",
        "We are open daily.",
    ]
    assert document.paragraphs[2].style.name == "List Bullet"
    # a paragraph wrapped over two lines of the draft is one paragraph of the document
    wrapped = "Many of the office workers we see find that dry needling fixes their\nstiff necks for good.\n"
    document = docx.Document(io.BytesIO(annotated_docx(checked(write(tmp_path, "wrapped.md", wrapped)))))
    assert [p.text for p in document.paragraphs] == [" ".join(wrapped.split())]


def test_an_uploaded_docx_keeps_its_formatting_and_gets_comments_on_the_flagged_sentences(tmp_path):
    original = docx.Document()
    original.add_heading("Our clinic", 1)
    paragraph = original.add_paragraph()
    paragraph.add_run("We are open  daily. ").bold = True
    run = paragraph.add_run("Dry needling eliminates neck pain. Dry needling may reduce neck pain slightly.")
    run.italic, run.font.size = True, Pt(14)
    original.add_paragraph("Lactic acid is flushed out by dry needling.", style="List Bullet")
    original.add_table(rows=1, cols=1).cell(0, 0).text = "Dry needling cures headaches."
    source = tmp_path / "draft.docx"
    original.save(source)

    draft = checked(source)
    flagged = [f for f in draft.findings if f.flagged]
    assert len(flagged) >= 3 and len(flagged) < len(draft.findings)
    data = annotated_docx(draft, source.read_bytes())
    assert len(comments(data)) == len(flagged)
    assert sorted(anchored_text(data).values()) == sorted(f.sentence for f in flagged)

    result = docx.Document(io.BytesIO(data))
    assert [p.text for p in result.paragraphs] == [p.text for p in docx.Document(source).paragraphs]
    assert result.tables[0].cell(0, 0).text == "Dry needling cures headaches."
    assert result.paragraphs[0].style.name == "Heading 1" and result.paragraphs[2].style.name == "List Bullet"
    runs = [r for r in result.paragraphs[1].runs if r.text]
    assert runs[0].text == "We are open  daily. " and runs[0].bold
    # the italic run was split at the flagged sentence's end; both halves keep its formatting
    assert [r.text for r in runs[1:]] == [
        "Dry needling eliminates neck pain.",
        " Dry needling may reduce neck pain slightly.",
    ]
    assert all(r.italic and r.font.size == Pt(14) for r in runs[1:])


def test_a_sentence_the_document_does_not_hold_is_quoted_at_the_end_with_its_comment(tmp_path):
    source = tmp_path / "draft.docx"
    docx.Document().save(source)
    draft = checked(write(tmp_path, "other.md", "Dry needling eliminates neck pain.\n"))
    data = annotated_docx(draft, source.read_bytes())
    assert list(anchored_text(data).values()) == ["Dry needling eliminates neck pain."]
    assert docx.Document(io.BytesIO(data)).paragraphs[-1].text.endswith("Dry needling eliminates neck pain.")


def test_cli_writes_the_annotated_docx(tmp_path, capsys):
    from evidence.cli import main

    draft = write(tmp_path, "draft.md", "Dry needling cures tennis elbow, guaranteed.\nWe are open daily.\n")
    out = tmp_path / "out.docx"
    assert main(["check-wording", "--format", "docx", "--output", str(out), str(draft)]) == 1
    assert len(comments(out.read_bytes())) >= 1
    assert main(["check-wording", "--format", "docx", str(draft)]) == 2  # no --output
    assert "--output" in capsys.readouterr().err
    assert main(["check-wording", "--format", "docx", "--output", str(out), str(draft), str(draft)]) == 2
    # a Word document under another name would not open where it is expected: refused, nothing written
    assert main(["check-wording", "--format", "docx", "--output", str(tmp_path / "out.txt"), str(draft)]) == 2
    assert "name it .docx" in capsys.readouterr().err and not (tmp_path / "out.txt").exists()
    broken = write(tmp_path, "broken.docx", b"PK\x03\x04")
    assert main(["check-wording", "--format", "docx", "--output", str(tmp_path / "no.docx"), str(broken)]) == 2
    assert not (tmp_path / "no.docx").exists()
    # --output works for the text formats too, with the same content as stdout
    assert main(["check-wording", "--format", "json", "--output", str(tmp_path / "out.json"), str(draft)]) == 1
    assert main(["check-wording", "--format", "json", str(draft)]) == 1
    assert (tmp_path / "out.json").read_text() == capsys.readouterr().out


def test_a_markdown_heading_becomes_a_word_heading_and_keeps_its_comment(tmp_path):
    text = "# Our clinic\n## Dry needling eliminates neck pain\n\nWe are open daily.\n1. Book online\n"
    draft = checked(write(tmp_path, "draft.md", text))
    (flagged,) = [f for f in draft.findings if f.flagged]
    data = annotated_docx(draft)
    document = docx.Document(io.BytesIO(data))
    assert [(p.text, p.style.name) for p in document.paragraphs] == [
        ("Our clinic", "Heading 1"),  # each heading keeps its level
        ("Dry needling eliminates neck pain", "Heading 2"),
        ("We are open daily.", "Normal"),
        ("Book online", "List Number"),  # a numbered item stays numbered
    ]
    assert list(anchored_text(data).values()) == [flagged.sentence]


def test_a_claim_about_another_treatment_gets_a_not_checked_comment(tmp_path):
    draft = checked(write(tmp_path, "draft.md", "We offer dry needling.\nCupping eases back pain for many people.\n"))
    (note,) = [f for f in draft.findings if rules.unchecked(f)]
    data = annotated_docx(draft)
    assert list(anchored_text(data).values()) == [note.sentence]
    (text,) = comments(data).values()
    assert text.startswith("Not checked (") and "a claim for cupping, not for dry needling" in text


def test_a_flag_without_topic_or_strength_reads_cleanly():
    finding = rules.Finding(
        "d.txt", 1, 1, "Who it helps", "", "", "", None, "", "", True, "the classifier rates it", "", ()
    )
    assert comment_lines(finding)[0] == "Flagged (no topic): no verdict (no register claim)"
    # the last line says what checked the draft
    assert comment_lines(finding)[-1] == "Checked by the rules alone."
    assert comment_lines(replace(finding, checked_by="thorough"))[-1] == "Checked by the rules and the thorough model."

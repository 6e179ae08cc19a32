"""Reading drafts for the wording checker: text, Markdown, HTML, .docx and stdin, bad input, and sentences."""

from __future__ import annotations

import pytest

from evidence.config import ConfigError
from evidence.wording import drafts
from tests.wording_helpers import make_docx, set_stdin, write

# ---------------------------------------------------------------------------------------------
# reading drafts
# ---------------------------------------------------------------------------------------------


def test_read_plain_text_keeps_lines(tmp_path):
    assert (
        drafts.read_text(write(tmp_path, "d.txt", "Dry needling may help.\n\n   Book   now.  \n"))
        == "Dry needling may help.\n\nBook now."
    )  # lines kept, so that a finding's line is its line in the file


def test_read_markdown_strips_markup_and_marks_list_items(tmp_path):
    md = (
        "# Dry needling **works**\n\nIt *relieves* [tennis elbow](https://example.org/te) fast.\n"
        "- first _bullet_ item\n1. numbered item\n> quoted `code`\n\n---\n[ref]: https://example.org\n"
    )
    assert drafts.read_text(write(tmp_path, "d.md", md)).splitlines() == [
        "# Dry needling works",
        "",
        "It relieves tennis elbow fast.",
        "- first bullet item",
        "1. numbered item",
        "quoted code",
    ]  # the blank line and the rule are kept empty; the link definition line stays dropped at the end


def test_read_html_extracts_block_text_without_scripts(tmp_path):
    html = (
        "<html><head><title>Clinic</title><style>p {color: red}</style></head><body>"
        "<h1>Dry&nbsp;needling</h1><p>It <b>boosts</b>\n circulation.</p><script>var cure = 1;</script>"
        "<ul><li>Heel pain</li><li>Neck pain</li></ul><div>Call us<br>today</div></body></html>"
    )
    text = drafts.read_text(write(tmp_path, "page.html", html))
    # the page is on one source line, with a line end inside the paragraph
    assert text.splitlines()[2] == f"{drafts.SAME_LINE}It boosts{drafts.SOFT_BREAK}circulation."
    assert text.replace(drafts.SOFT_BREAK, " ").replace(drafts.SAME_LINE, "").splitlines() == [
        "Clinic",
        "# Dry needling",
        "It boosts circulation.",
        "- Heel pain",
        "- Neck pain",
        "Call us",
        "today",
    ]


def test_an_html_paragraph_over_several_source_lines_reports_each_sentence_on_its_own_line(tmp_path):
    html = (
        "<body>\n<p>We offer needling at both clinics.\nIt settles sciatica for good.</p>\n<p>Call us.</p>\n</body>\n"
    )
    sentences = drafts.split_sentences(drafts.read_text(write(tmp_path, "page.html", html)))
    assert [(s.text, s.line, s.block) for s in sentences] == [
        ("We offer needling at both clinics.", 2, 2),
        ("It settles sciatica for good.", 3, 2),
        ("Call us.", 4, 4),
    ]


def test_read_docx_paragraphs_lists_and_tables(tmp_path):
    path = make_docx(
        tmp_path / "draft.docx",
        [
            ("Why try it", "Heading 1"),
            ("Dry needling:", None),
            ("Releases tight muscle fibres", "List Bullet"),
            ("Book today.", None),
        ],
    )
    assert drafts.read_text(path).splitlines() == [
        "# Why try it",
        "Dry needling:",
        "- Releases tight muscle fibres",
        "Book today.",
        "Table cell text.",
    ]


def test_a_word_table_is_read_where_it_stands_and_a_merged_cell_once(tmp_path):
    """A table between two paragraphs comes between them (it came after every paragraph, so a
    claim after a table was numbered as if it stood before it)."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Before the table.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Merged heading cell."
    table.cell(1, 0).text, table.cell(1, 1).text = "Left cell.", "Right cell."
    document.add_paragraph("After the table.")
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert drafts.read_text(path).splitlines() == [
        "Before the table.",
        "Merged heading cell.",
        "Left cell.",
        "Right cell.",
        "After the table.",
    ]


def test_read_stdin_markdown_and_html(monkeypatch):
    set_stdin(monkeypatch, b"* **Cures** neck pain\n")
    assert drafts.read_text("-") == "- Cures neck pain"
    set_stdin(monkeypatch, b"<p>One</p><p>Two</p>")  # HTML: one line per block, here on one source line
    assert drafts.read_text("-") == f"One\n{drafts.SAME_LINE}Two"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.md", b"  \n\t\n", "file is empty"),
        ("binary.txt", b"Dry\x00needling", "binary file"),
        (
            "latin1.html",
            "caf\xe9 needling".encode("latin-1"),
            "not UTF-8 text (bad byte at offset 3); save it as UTF-8",
        ),
        ("wrongly_declared.html", '<meta charset="utf-16x"><p>caf\xe9</p>'.encode("latin-1"), "not UTF-8"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable .docx"),
        ("text.docx", b"just text, not a Word file", "not a readable .docx"),
        ("empty.docx", b"", "file is empty"),
        ("draft.pdf", b"%PDF-1.4", "unknown format"),
        ("draft", b"no extension", "unknown format"),
        ("scripts.html", b"<script>alert(1)</script>", "no text left"),
    ],
)
def test_bad_input_raises_config_error_naming_the_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ConfigError) as err:
        drafts.read_text(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        drafts.read_text(tmp_path / "nowhere.txt")
    with pytest.raises(ConfigError, match="not a file"):
        drafts.read_text(tmp_path)


def test_split_sentences_lines_bullets_lead_ins_and_abbreviations():
    text = (
        "Dry needling may help, e.g. for neck pain. It is safe! Does it hurt? Yes.\n"
        "Dry needling can help with:\n- Neck pain\n• Heel pain\nNeedles are 0.25 mm thick, i.e. very thin. Dr. Lee says so."
    )
    sentences = drafts.split_sentences(text)
    assert [s.text for s in sentences] == [
        "Dry needling may help, e.g. for neck pain.",
        "It is safe!",
        "Does it hurt?",
        "Yes.",
        "Dry needling can help with:",
        "Neck pain",
        "Heel pain",
        "Needles are 0.25 mm thick, i.e. very thin.",
        "Dr. Lee says so.",
    ]
    assert [s.line for s in sentences] == [1, 1, 1, 1, 2, 3, 4, 5, 5]
    assert [s.index for s in sentences] == list(range(1, 10))
    items = [s for s in sentences if s.list_item]
    assert [s.text for s in items] == ["Neck pain", "Heel pain"]
    assert {s.lead_in for s in items} == {"Dry needling can help with:"}
    assert not sentences[-1].list_item and sentences[-1].lead_in == ""


def test_a_list_items_lead_in_is_the_last_sentence_of_the_line_above():
    """A hedge in an earlier sentence of the lead-in's line does not reach the items."""
    text = "Results differ from person to person. Our physios use needling for:\n- Sore calves\n"
    (item,) = [s for s in drafts.split_sentences(text) if s.list_item]
    assert item.lead_in == "Our physios use needling for:"


def test_headings_are_marked_and_their_sentences_know_it(tmp_path):
    md = "Pain relief\n===========\n\n## What to expect\nIt may ease pain.\n#hashtag line\n---\n"
    text = drafts.read_text(write(tmp_path, "d.md", md))
    assert text.splitlines()[:5] == ["# Pain relief", "", "", "## What to expect", "It may ease pain."]
    sentences = drafts.split_sentences(text)
    assert [(s.text, s.heading, s.line) for s in sentences] == [
        ("Pain relief", 1, 1),
        ("What to expect", 2, 4),
        ("It may ease pain.", 0, 5),
        ("#hashtag line", 2, 6),  # a line underlined with --- is a setext heading; '#' without a space is text
    ]
    # a heading leads into the list below it, as any other line does
    (item,) = [s for s in drafts.split_sentences("# Benefits\n- Less spasm") if s.list_item]
    assert item.lead_in == "Benefits" and not item.heading


def test_an_html_page_in_the_encoding_it_declares_is_read(tmp_path):
    page = '<html><head><meta charset="windows-1252"></head><p>It\u2019s caf\xe9 needling.</p></html>'
    path = tmp_path / "old.html"
    path.write_bytes(page.encode("cp1252"))
    assert drafts.read_text(path) == "It\u2019s caf\xe9 needling."
    declared = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    path.write_bytes(page.replace('<meta charset="windows-1252">', declared).encode("cp1252"))
    assert drafts.read_text(path) == "It\u2019s caf\xe9 needling."


def test_a_complete_statement_leads_into_no_list():
    text = "Needling ends heel pain for good.\n- It may ease heel pain.\n- Parking is free.\nWe treat:\n- Neck pain"
    items = [s for s in drafts.split_sentences(text) if s.list_item]
    assert [s.lead_in for s in items] == ["", "", "We treat:"]


def test_html_blocks_keep_the_line_their_text_starts_on(tmp_path):
    html = (
        "<html><body>\n<h2>Why needling</h2>\n<p>\n  It may ease\n  neck pain.</p>\n"
        "<ul><li><p>Less spasm</p></li>\n<li>Better sleep</li></ul><p>A</p><p>B</p>\n</body></html>"
    )
    sentences = drafts.split_sentences(drafts.read_text(write(tmp_path, "page.html", html)))
    assert [(s.text, s.line, s.list_item, s.heading) for s in sentences] == [
        ("Why needling", 2, False, 2),
        ("It may ease neck pain.", 4, False, 0),  # the line of its first word, not of the <p>
        ("Less spasm", 6, True, 0),  # a paragraph inside a list item is still the item
        ("Better sleep", 7, True, 0),
        ("A", 7, False, 0),  # blocks that share a source line are each reported on it
        ("B", 7, False, 0),
    ]
    assert len({s.block for s in sentences}) == 6  # and are still blocks of their own


def test_numbered_items_are_list_items_that_know_they_are_numbered(tmp_path):
    html = "<ol><li>Book</li><li>Come in</li></ol><ul><li>Less pain</li></ul>"
    text = drafts.read_text(write(tmp_path, "steps.html", html))
    assert text.replace(drafts.SAME_LINE, "").splitlines() == ["1. Book", "1. Come in", "- Less pain"]
    sentences = drafts.split_sentences(text)
    assert [(s.list_item, s.numbered) for s in sentences] == [(True, True), (True, True), (True, False)]


WRAPPED = (
    "Our team has offered trigger point needling to office workers since\n"  # 68 characters, mid-sentence
    "the spring of last year. Most of them say it eases their stiff\n"
    "shoulders within a day.\n"
    "\n"
    "- A session lasts about half an hour and is followed by a short\n"
    "  set of stretches.\n"
    "- Bring loose clothing\n"
)


@pytest.mark.parametrize("name", ["draft.md", "draft.txt"])
def test_a_wrapped_paragraph_is_read_as_one_and_each_sentence_keeps_its_line(tmp_path, name):
    text = drafts.read_text(write(tmp_path, name, WRAPPED))
    assert len(text.splitlines()) == 7  # joined lines stay as empty ones: line numbers are the file's
    sentences = drafts.split_sentences(text)
    assert [(s.text, s.line, s.block) for s in sentences] == [
        ("Our team has offered trigger point needling to office workers since the spring of last year.", 1, 1),
        ("Most of them say it eases their stiff shoulders within a day.", 2, 1),
        ("A session lasts about half an hour and is followed by a short set of stretches.", 5, 5),
        ("Bring loose clothing", 7, 7),
    ]
    assert sentences[2].list_item and sentences[3].list_item


def test_only_a_long_line_that_stops_mid_sentence_goes_on_in_a_lower_case_line():
    long_done = "We have treated runners and rowers for many years in this town."  # ends its sentence
    long_open = "We have treated runners and rowers for many years in this town and"
    short_open = "Benefits you may notice"
    typed_open = "Heel pain can make every step hurt. Dry needling"  # 48 characters, as a new user typed it
    join = drafts.join_wrapped_lines
    assert join(f"{long_done}\nwith care") == f"{long_done}\nwith care"
    assert join(f"{short_open}\nless stiffness") == f"{short_open}\nless stiffness"  # a bare list stays apart
    assert join(f"{typed_open}\ncan ease it.") == f"{typed_open}{drafts.SOFT_BREAK}can ease it.\n"
    assert join(f"{long_open}\nNearby towns") == f"{long_open}\nNearby towns"  # a capital starts a new line
    assert join(f"# {long_open}\nbeyond") == f"# {long_open}\nbeyond"  # a heading does not go on
    assert join(f"{long_open}\n\nbeyond") == f"{long_open}\n\nbeyond"  # nor across an empty line
    assert join(f"{long_open}\nbeyond it\nand more") == f"{long_open}{drafts.SOFT_BREAK}beyond it\n\nand more"

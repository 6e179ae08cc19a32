"""Reading marketing drafts and splitting them into sentences (the wording checker's first stage).

A draft is plain text (``.txt``), Markdown (``.md``/``.markdown``), HTML (``.html``/``.htm``),
Word (``.docx``, read with python-docx) or stdin (``-``: HTML when it looks like HTML, else
Markdown). :func:`read_text` turns it into plain text, one line per paragraph, heading, table
cell or list item; list items keep a ``- `` marker so that the next stage knows they belong to
the line that leads into the list, and headings Markdown's own marker (``# ``, ``## ``, ... by
level) so that the outputs can show them as headings. :func:`split_sentences` cuts the text into
:class:`Sentence` objects that remember their line, whether they are a list item, their heading
level, and a list item's lead-in.

Bad input (missing file, directory, unknown extension, empty, binary or non-UTF-8 text, an
unreadable .docx) raises :class:`evidence.config.ConfigError` naming the file.
"""

from __future__ import annotations

import bisect
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from evidence.config import ConfigError

TEXT_SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}
STDIN = "-"
STDIN_NAME = "<stdin>"
LIST_MARKER = "- "
NUMBER_MARKER = "1. "  # a numbered list item (outputs number the items themselves)
#: a line end inside a paragraph (an HTML block's text, or lines joined by :func:`join_wrapped_lines`):
#: the sentences read it as a space, and a sentence that starts after it starts on the next line of the file
SOFT_BREAK = "\ue000"
#: at the start of a line of the draft's text: this line is on the same line of the file as the line
#: before it (HTML blocks that share a source line, as list items often do, or a page on one line)
SAME_LINE = "\ue001"
_HEADING = re.compile(r"^(#{1,6}) ")  # a heading's marker: one "#" a level, "## " is a second-level heading
_HTML_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())

_HTML_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr main nav ol p pre section table tbody td th thead title tr ul".split()
)
_HTML_SKIPPED = frozenset({"script", "style", "noscript", "template"})
_LOOKS_LIKE_HTML = re.compile(r"<(?:!doctype|html|body|p|div|h[1-6]|ul|ol|li|br|span|a)\b", re.I)


class _HtmlText(HTMLParser):
    """Collects the text of an HTML page, one block per block element (list items and headings
    marked), each with the source line its text starts on, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []  # (source line of the block's first text, its text)
        self._marker, self._text, self._line = "", [], 0
        self._skipping = 0
        self._lists: list[str] = []  # the open lists, innermost last

    def _new_block(self, marker: str) -> None:
        """End the block being read; the next starts with ``marker`` (an empty block passes its
        marker on: ``<li><p>Item</p></li>`` is one list item)."""
        if self._text:
            # white space is one space, as the browser shows it; a line end in it is kept as a soft
            # break, so that a sentence is reported on the source line it starts on
            text = re.sub(r"\s+", lambda m: SOFT_BREAK * m.group().count("\n") or " ", "".join(self._text).strip())
            self.blocks.append((self._line, self._marker + text))
            self._marker = marker
        else:
            self._marker = marker or self._marker
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping += 1
        elif tag == "li":
            self._new_block(NUMBER_MARKER if self._lists[-1:] == ["ol"] else LIST_MARKER)
        elif tag in ("ol", "ul"):
            self._lists.append(tag)
            self._new_block("")
        elif tag in _HTML_HEADINGS:
            self._new_block("#" * int(tag[1]) + " ")
        elif tag in _HTML_BLOCKS:
            self._new_block("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in ("ol", "ul") and self._lists:
            self._lists.pop()
        if tag in _HTML_BLOCKS or tag == "li":
            self._new_block("")

    def handle_data(self, data: str) -> None:
        if self._skipping or (not self._text and not data.strip()):
            return
        if not self._text:  # the block's first text: the line it starts on, after leading line breaks
            self._line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._new_block("")


def html_to_text(html: str) -> str:
    """The visible text of ``html``, each block element on the line of the source where its text
    starts, its own line ends kept as :data:`SOFT_BREAK` (so that a finding's line is the line in
    the file where its sentence starts; a block on the source line of the block before it follows it,
    marked :data:`SAME_LINE`); list items start with ``- `` (``1. `` in an ``ol``) and headings
    (``h1``-``h6``) with ``# `` to ``###### ``; scripts and styles are dropped."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines: list[str] = []
    reached = 0  # the source line of the last block placed
    for line, text in parser.blocks:
        if line <= reached:
            lines.append(SAME_LINE + text)
        else:
            lines.extend([""] * (line - 1 - reached))
            lines.append(text)
            reached = line
    return "\n".join(lines)


_MD_LINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$"), ""),  # horizontal rule
    (re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$"), ""),  # link reference definition
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$"), ""),  # table separator
    (re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$"), r"\1 \2"),  # ATX heading -> its level's marker
    (re.compile(r"^\s{0,3}(?:>\s?)+"), ""),  # block quote
    (re.compile(r"^\s*[-*+]\s+"), LIST_MARKER),  # list bullet -> one marker
    (re.compile(r"^\s*\d{1,3}[.)]\s+"), NUMBER_MARKER),  # numbered item -> one marker
)
_MD_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image: keep alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # inline link: keep its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),  # autolink
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # inline HTML tag
    (re.compile(r"(\*{1,3}|~~|`+)"), ""),  # emphasis, strike-through, code
    (re.compile(r"(?<!\w)_{1,3}|_{1,3}(?!\w)"), ""),  # underscore emphasis, not snake_case
    (re.compile(r"\s*\|\s*"), "\n"),  # table cells
)
_MD_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")


def markdown_to_text(markdown: str) -> str:
    """Markdown without its markup: emphasis, links (their text kept), code fences; list bullets
    become ``- ``, numbered items ``1. `` and headings (``#`` to ``######``, or underlined with ``=``/``-``: levels 1 and 2)
    ``# `` to ``###### ``."""
    lines: list[str] = []
    for line in markdown.splitlines():
        if line.strip().startswith(("```", "~~~")) or _MD_SETEXT_UNDERLINE.match(line):
            if (
                _MD_SETEXT_UNDERLINE.match(line)
                and lines
                and lines[-1].strip()
                and not lines[-1].startswith(LIST_MARKER)
                and not _HEADING.match(lines[-1])
            ):
                level = 1 if line.strip().startswith("=") else 2
                lines[-1] = "#" * level + " " + lines[-1]  # the paragraph line above is a setext heading
            lines.append("")  # kept as an empty line, so that line numbers stay those of the file
            continue
        bullet = line.lstrip().startswith(("- ", "* ", "+ ")) or re.match(r"^\s*\d{1,3}[.)]\s", line)
        for pattern, repl in _MD_LINE_RULES:
            line = pattern.sub(repl, line)
        heading = _HEADING.match(line)
        listed = next((m for m in (LIST_MARKER, NUMBER_MARKER) if bullet and line.startswith(m)), "")
        marker = heading.group(0) if heading else listed
        body = line[len(marker) :]
        for pattern, repl in _MD_INLINE_RULES:
            body = pattern.sub(repl, body)
        lines.append(marker + body)
    return _tidy_lines("\n".join(lines), keep_lines=True)


def _heading_level(style: str) -> int:
    """The heading level of a Word paragraph style: "Heading N" is N (at most 6), "Title" 1, else 0."""
    found = re.fullmatch(r"heading (\d+)", style.strip().lower())
    return min(int(found.group(1)), 6) if found else 1 if style.strip().lower() == "title" else 0


def docx_paragraphs(document) -> Iterator:
    """A Word document's paragraphs in the order a reader meets them: the body's, with each table's
    cells in its place, row by row (a merged cell once). The reader (:func:`docx_to_text`) and the
    Word output (:mod:`evidence.wording.docx_output`) both walk the document this way, so that a
    sentence's paragraph number is the same in both."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if not isinstance(block, Table):
            yield block
            continue
        seen = set()
        for row in block.rows:
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    yield from cell.paragraphs


def docx_to_text(name: str, data: bytes) -> str:
    """The paragraphs of a Word document (:func:`docx_paragraphs`: table cells where the table
    stands), one per line; list paragraphs (a list style or numbering) start with ``- `` (``1. ``
    in a "List Number" style), headings with their level's ``#`` (a "Heading N" style: N, capped
    at 6; "Title": 1). ConfigError when it is not a readable .docx."""
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(f"{name}: not a readable .docx file ({exc.__class__.__name__}: {exc})") from None
    lines = []
    for paragraph in docx_paragraphs(document):
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        has_numbering = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
        listed = has_numbering or style.lower().startswith("list")
        level = _heading_level(style)
        list_marker = NUMBER_MARKER if style.lower().startswith("list number") else LIST_MARKER
        marker = list_marker if listed else "#" * level + " " if level else ""
        lines.append((marker if paragraph.text.strip() else "") + paragraph.text)
    return _tidy_lines("\n".join(lines))


def _tidy_lines(text: str, keep_lines: bool = False) -> str:
    """Collapse runs of spaces inside lines and drop empty lines (and empty list items); with
    ``keep_lines`` (plain text and Markdown) they are kept empty instead, so that a sentence's line
    is its line in the file (HTML places its blocks itself: :func:`html_to_text`; for Word it is the
    paragraph)."""
    lines = [
        "" if line in (LIST_MARKER.strip(), NUMBER_MARKER.strip()) or re.fullmatch(r"#{1,6}", line) else line
        for line in (re.sub(r"\s+", " ", x).strip() for x in text.splitlines())
    ]
    return "\n".join(lines).rstrip("\n") if keep_lines else "\n".join(line for line in lines if line)


def format_of(path: str) -> str:
    """``text``, ``markdown``, ``html`` or ``docx`` from the extension; ConfigError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        known = ", ".join(TEXT_SUFFIXES)
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise ConfigError(f"{path}: unknown format ({shown}); give a {known} file or - for stdin")
    return TEXT_SUFFIXES[suffix]


def _read_stdin() -> bytes:
    """The bytes of stdin (its text re-encoded when it has no binary buffer)."""
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")


#: an HTML page's own statement of its encoding (``<meta charset="windows-1252">`` or the
#: ``http-equiv`` form), looked for near its start
_DECLARED_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)


def _decode(name: str, data: bytes) -> str:
    """The text of ``data``: UTF-8, or the encoding an HTML page declares in a ``<meta>`` tag when
    it is not UTF-8; ConfigError for empty or binary input, or text in another encoding."""
    if b"\x00" in data:
        raise ConfigError(f"{name}: binary file (contains NUL bytes); give plain text, Markdown, HTML or .docx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _DECLARED_CHARSET.search(data[:4096])
        try:
            text = data.decode(declared.group(1).decode("ascii")) if declared else None
        except (LookupError, UnicodeDecodeError):
            text = None
        if text is None:
            raise ConfigError(
                f"{name}: binary file or not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
            ) from None
    if not text.strip():
        raise ConfigError(f"{name}: file is empty")
    return text


def display_name(path_or_dash: str | Path) -> str:
    """How messages and findings name a draft: its path, or ``<stdin>``."""
    return STDIN_NAME if str(path_or_dash) == STDIN else str(path_or_dash)


def text_format(text: str) -> str:
    """How text without a file name (stdin, pasted text) is read: ``html`` when it looks like HTML,
    else ``markdown`` (plain text reads the same)."""
    return "html" if _LOOKS_LIKE_HTML.search(text) else "markdown"


#: a line at least this long that stops mid-sentence was wrapped, when the next goes on in lower case
WRAPPED_LINE = 45
_CLOSERS = r"[\"'”’)\]]*"  # quotes and brackets that may follow a sentence's last mark
_ENDS_SENTENCE = re.compile(rf"[.!?:;…]{_CLOSERS}$")
_ENDS_STATEMENT = re.compile(rf"[.!]{_CLOSERS}$")  # a complete statement, which leads into no list


def join_wrapped_lines(text: str) -> str:
    """``text`` (one line per paragraph, heading or list item, as the readers give it) with each
    paragraph or list item wrapped over several lines made one line again, as a browser shows it: a
    line of at least :data:`WRAPPED_LINE` characters that ends without . ! ? : ; and is followed by
    a line that starts in lower case goes on in that line. Each joined line end is kept as
    :data:`SOFT_BREAK` and an empty line stays in place of the line joined, so a sentence's line is
    still its line in the file. A list typed one item a line without bullets stays apart: its lines
    are short or end the sentence (in the labelled real copy, 31,307 lines of 1,872 pages pasted as
    :func:`evidence.wording.training.page_draft` pastes them, no pair of lines meets the rule; 3 would
    from 40 characters, 27 without the length)."""
    out: list[str] = []
    paragraph, previous = None, ""  # the line being continued (index in out) and the line read before
    for line in text.split("\n"):
        wrapped = len(previous) >= WRAPPED_LINE and not _ENDS_SENTENCE.search(previous)
        if paragraph is not None and wrapped and line[:1].islower() and not _HEADING.match(out[paragraph]):
            out[paragraph] += SOFT_BREAK + line
            out.append("")
        else:
            out.append(line)
            paragraph = len(out) - 1 if line else None
        previous = line
    return "\n".join(out)


def read_text(path_or_dash: str | Path) -> str:
    """The plain text of a draft (see the module docstring); ConfigError naming the file on bad input."""
    path = str(path_or_dash)
    name = display_name(path)
    if path == STDIN:
        text = _decode(name, _read_stdin())
        fmt = text_format(text)
    else:
        file = Path(path)
        if not file.exists():
            raise ConfigError(f"{path}: file not found")
        if not file.is_file():
            raise ConfigError(f"{path}: not a file (a directory?)")
        fmt = format_of(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
        if fmt == "docx":
            if not data:
                raise ConfigError(f"{path}: file is empty")
            converted = docx_to_text(name, data)
            if not converted.strip():
                raise ConfigError(f"{name}: no text in the document")
            return converted
        text = _decode(name, data)
    converted = {
        "text": lambda raw: join_wrapped_lines(_tidy_lines(raw, keep_lines=True)),
        "markdown": lambda raw: join_wrapped_lines(markdown_to_text(raw)),
        "html": html_to_text,
    }[fmt](text)
    if not converted.strip():
        raise ConfigError(f"{name}: no text left after removing the {fmt} markup")
    return converted


@dataclass(frozen=True)
class Sentence:
    """One sentence of a draft: its text, 1-based index and line, whether it is a list item or a
    heading and its level (1-6, 0 for none), whether a list item is numbered (both shown as such in
    the outputs), and for a list item the sentence that leads into the
    list ("" when there is none)."""

    text: str
    index: int
    line: int
    list_item: bool = False
    lead_in: str = ""
    heading: int = 0
    numbered: bool = False
    #: its paragraph, heading or list item: the number of that block's line in the draft's text (the
    #: outputs group sentences by it); the line of the file where the block starts, unless an earlier
    #: block shares a source line (:data:`SAME_LINE`); 0: its own line
    paragraph: int = 0

    @property
    def block(self) -> int:
        """The paragraph, heading or list item it belongs to (what the outputs group by)."""
        return self.paragraph or self.line


_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s")
_BULLET = re.compile(r"^\s*(?:[-*+•·▪◦‣–—](?:\s+|(?=[A-Z]))|\d{1,3}[.)]\s+)")  # also "-Item", written without a space
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_ABBREVIATIONS = frozenset(
    "e.g. i.e. etc. vs. cf. approx. dr. mr. mrs. ms. prof. st. no. fig. incl. min. max. mins. "
    "hrs. wk. wks. a.m. p.m. u.s. u.k. ph.d.".split()
)


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as a list (see :func:`iter_sentences`)."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[Sentence]:
    """Sentences of ``text``, one at a time: line breaks and bullet items end sentences, and so do
    . ! ? followed by a space (see :func:`_split_line`), except after abbreviations (e.g., i.e.,
    Dr.) and inside decimals. A line that starts with ``# `` to ``###### `` is a heading of that
    level (the marker is not part
    of its sentences). A list item's lead-in is the last sentence of the last line above it
    that is not a list item ("Results vary. We use it for:" leads in with "We use it for:"), unless
    that sentence ends with "." or "!": a statement that is complete leads into nothing.
    In a paragraph joined from wrapped lines (:data:`SOFT_BREAK`), a sentence's line is the one it
    starts on, and a line marked :data:`SAME_LINE` is on the line of the file of the line before it.
    Linear in the text; lines are read one at a time, so memory stays that of the text."""
    lead_in, index, same = "", 0, 0
    for paragraph, raw in enumerate(_lines(text), start=1):
        if raw.startswith(SAME_LINE):
            raw, same = raw[len(SAME_LINE) :], same + 1
        number = paragraph - same  # its line in the file
        marker = _HEADING.match(raw)
        heading = len(marker.group(1)) if marker else 0
        listed = not heading and bool(_BULLET.match(raw))
        numbered = listed and bool(_NUMBERED.match(raw))
        line = raw[marker.end() :].strip() if marker else _BULLET.sub("", raw).strip()
        if not line:
            continue
        breaks = [at for at, char in enumerate(line) if char == SOFT_BREAK] if SOFT_BREAK in line else []
        line, cursor = line.replace(SOFT_BREAK, " "), 0
        for piece in _split_line(line):
            index, on = index + 1, number
            if breaks:  # a wrapped paragraph: the piece starts on the line after each break before it
                start = line.find(piece, cursor)
                cursor, on = start + len(piece), number + bisect.bisect_left(breaks, start)
            lead = lead_in if listed else ""
            yield Sentence(piece, index, on, listed, lead, heading, numbered, paragraph)
            if not listed:
                lead_in = "" if _ENDS_STATEMENT.search(piece) else piece


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` (as ``str.splitlines`` for ``\\n`` line ends), without copying it whole."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end].rstrip("\r")
        start = end + 1


def _split_line(line: str) -> list[str]:
    """Split one line at sentence-ending punctuation (also before a lower-case word, since copy is
    often written without capitals; not after an abbreviation, a single letter or an ellipsis
    that runs on), then cut pieces longer than :data:`MAX_SENTENCE` characters at their clause
    breaks. Each boundary looks back a bounded window only, so a line is read in linear time."""
    pieces, start = [], 0
    for match in _BOUNDARY.finditer(line):
        window = line[max(start, match.start() - 40) : match.end()].split()
        last_word = window[-1].lower().rstrip("\"'”’)]") if window else ""
        next_char = line[match.end() : match.end() + 1]
        runs_on = next_char.islower() and ("…" in match.group(0) or ".." in match.group(0))
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last_word) or runs_on:
            continue
        pieces.append(line[start : match.end()].strip())
        start = match.end()
    pieces.append(line[start:].strip())
    return [short for piece in pieces if piece for short in _bounded(piece)]


#: the longest piece read as one sentence; run-on text is cut at clause breaks to stay linear
MAX_SENTENCE = 400
_CLAUSE_CUT = re.compile(r"[,;:]\s+|\s[-–—]\s")


def _bounded(piece: str) -> list[str]:
    """``piece`` cut into parts of at most :data:`MAX_SENTENCE` characters, each ending at the
    last clause break (else the last space) before the limit."""
    parts = []
    while len(piece) > MAX_SENTENCE:
        head = piece[:MAX_SENTENCE]
        breaks = [m.end() for m in _CLAUSE_CUT.finditer(head)]
        cut = breaks[-1] if breaks else (head.rfind(" ") + 1 or MAX_SENTENCE)
        parts.append(piece[:cut].strip())
        piece = piece[cut:].lstrip()
    return [*parts, piece] if piece else parts

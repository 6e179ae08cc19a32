"""A draft sent to the web application, read within limits and checked exactly as ``check-wording`` checks it.

- :class:`Submission`: pasted text (:meth:`Submission.pasted`) or an uploaded file's name and bytes.
- :class:`Checker`: the register, verdicts, lexicon and wording model of a data directory, loaded once;
  :meth:`Checker.check` gives the checked :class:`evidence.wording.rules.Draft`, and
  :meth:`Checker.render` the draft as JSON, an HTML page or an annotated .docx.

Same findings as the command line: a submission goes through the same reader and checker
(:func:`evidence.wording.rules.check_drafts` on a temporary copy outside the data directory).
Pasted text is read as ``check-wording`` reads stdin (HTML when it looks like HTML, else
Markdown) and named ``<stdin>`` in the findings, an uploaded file by its extension and named by its
file name, so the JSON equals ``check-wording --format json`` on the same text or file.

Limits (bad input raises :class:`evidence.config.ConfigError`, a 400 for the app): a .docx is
opened only when its zip directory lists at most :data:`MAX_DOCX_PARTS` parts and at most
:data:`MAX_DOCX_UNCOMPRESSED` bytes in all; Python's zipfile never inflates a part beyond the
size the directory declares (a larger one fails its CRC check), so a zip bomb is refused before
anything is inflated.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from evidence.config import ConfigError, DataPaths
from evidence.curation.claims import Claim, load_claims
from evidence.wording.classifier import OverclaimModel, model_dir
from evidence.wording.docx_output import annotated_docx
from evidence.wording.drafts import STDIN_NAME, TEXT_SUFFIXES, format_of, text_format
from evidence.wording.lexicon import Lexicon, lexicon_path, load_lexicon
from evidence.wording.rules import Draft, check_drafts, load_verdicts, to_html, to_json
from evidence.wording.thorough import checker_model

MAX_DOCX_PARTS = 1000
MAX_DOCX_UNCOMPRESSED = 25 * 1024 * 1024
PASTED_TITLE = "Pasted text"
FORMATS = ("json", "html", "docx")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_SUFFIX_OF_FORMAT = {"html": ".html", "markdown": ".md"}


@dataclass(frozen=True)
class Submission:
    """A draft as sent: its name in the findings, its bytes, the extension that makes the reader read it
    as ``check-wording`` would, and whether it was pasted."""

    name: str
    data: bytes
    suffix: str
    pasted: bool = False

    @classmethod
    def pasted_text(cls, text: str) -> Submission:
        if not text.strip():
            raise ConfigError("no text: paste a draft or choose a file")
        return cls(STDIN_NAME, text.encode("utf-8"), _SUFFIX_OF_FORMAT[text_format(text)], pasted=True)

    @classmethod
    def upload(cls, filename: str, data: bytes) -> Submission:
        name = Path(filename.replace("\\", "/")).name  # a browser may send a whole path
        try:
            format_of(name)
        except ConfigError:  # the reader's message speaks of stdin, which a page has not
            raise ConfigError(
                f"{name}: unknown format; choose a {', '.join(TEXT_SUFFIXES)} file or paste the text"
            ) from None
        if not data:
            raise ConfigError(f"{name}: file is empty")
        return cls(name, data, Path(name).suffix.lower())

    @property
    def is_docx(self) -> bool:
        return TEXT_SUFFIXES.get(self.suffix) == "docx"

    @property
    def title(self) -> str:
        """How pages and downloads name it."""
        return PASTED_TITLE if self.pasted else self.name


def check_docx_limits(name: str, data: bytes) -> None:
    """ConfigError unless ``data`` is a zip archive within the part and uncompressed-size limits."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ConfigError(f"{name}: not a readable .docx file ({exc})") from None
    if len(parts) > MAX_DOCX_PARTS:
        raise ConfigError(f"{name}: {len(parts)} parts in the .docx archive; at most {MAX_DOCX_PARTS} are read")
    size = sum(p.file_size for p in parts)
    if size > MAX_DOCX_UNCOMPRESSED:
        raise ConfigError(
            f"{name}: {size / 2**20:,.0f} MB once uncompressed; at most {MAX_DOCX_UNCOMPRESSED // 2**20} MB are read"
        )


@dataclass(frozen=True)
class Checker:
    """What a check needs from the data directory, loaded once (restart the server after ``analyse``)."""

    claims: tuple[Claim, ...]
    verdicts: pd.DataFrame
    lexicon: Lexicon
    report: Path
    model: OverclaimModel | None = None

    @classmethod
    def from_paths(cls, paths: DataPaths) -> Checker:
        return cls(
            tuple(load_claims(paths.claims)),
            load_verdicts(paths.derived_table("verdicts")),
            load_lexicon(lexicon_path(paths)),
            paths.report,
            checker_model(model_dir(paths)),
        )

    def check(self, submission: Submission) -> Draft:
        """The checked draft, named as the submission; ConfigError when it cannot be read."""
        if submission.is_docx:
            check_docx_limits(submission.name, submission.data)
        with tempfile.TemporaryDirectory(prefix="evidence-serve-") as folder:
            path = Path(folder) / f"draft{submission.suffix}"
            path.write_bytes(submission.data)
            (draft,) = check_drafts([path], self.claims, self.verdicts, self.lexicon, self.model)
        if draft.error:
            raise ConfigError(draft.error.replace(str(path), submission.name))
        return replace(
            draft, name=submission.name, findings=tuple(replace(f, file=submission.name) for f in draft.findings)
        )

    def claim_page(self, claim_id: str) -> str | None:
        """The claim's page under the served report (``report/claims/ID.html``), when the report has it."""
        page = Path("claims") / f"{claim_id}.html"
        return page.as_posix() if (self.report / page).is_file() else None

    def render(self, submission: Submission, fmt: str, report_url: str = "/report/") -> bytes:
        """The checked submission as ``json`` (the findings, as ``check-wording --format json``),
        ``html`` (the annotated page; claim ids link to their page under ``report_url``) or ``docx``
        (one of :data:`FORMATS`)."""
        draft = self.check(submission)
        if fmt == "json":
            return to_json(draft.findings).encode("utf-8")
        if fmt == "docx":
            return annotated_docx(draft, submission.data if submission.is_docx else None)

        def href(claim_id: str) -> str | None:
            page = self.claim_page(claim_id)
            return report_url + page if page else None

        shown = replace(draft, name=submission.title)
        return to_html([shown], title=f"Wording check: {submission.title}", claim_href=href).encode("utf-8")

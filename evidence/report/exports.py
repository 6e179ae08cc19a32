"""Reference exports: the included studies and the reviews as RIS and BibTeX, for Zotero, EndNote, JabRef.

``references`` collects them from the curated tables (one condition, or all); ``to_ris`` and
``to_bibtex`` write them. Both are deterministic: studies first, then reviews, each sorted by
first author, year and id; no date or counter in the output.

What a record holds: the key (study_id or review_id), the first author only (the curated tables
keep no full author list, so the note says so), year, title, journal, DOI, PMID with its PubMed
address, and as keywords the condition ids and "included study" or "systematic review". An
empty cell leaves its field out.

RIS follows the RIS format specification (tags ``TY``..``ER``, "TAG  - value" lines, CRLF line
ends). BibTeX escapes the characters that LaTeX reads as commands (``& % $ # _ { } ~ ^ \\``) in
text fields; DOIs and URLs are written as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIRST_AUTHOR_ONLY = "first author only: the tracker's tables keep no full author list"
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


@dataclass(frozen=True)
class Reference:
    """One study or review to export."""

    key: str
    kind: str  # "included study" or "systematic review"
    first_author: str
    year: str
    title: str
    journal: str
    doi: str
    pmid: str
    conditions: tuple[str, ...]

    @property
    def url(self) -> str:
        return (
            f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
            if self.pmid
            else (f"https://doi.org/{self.doi}" if self.doi else "")
        )

    @property
    def keywords(self) -> tuple[str, ...]:
        return (self.kind, *self.conditions)


def _sort_key(ref: Reference) -> tuple:
    return (ref.kind != "included study", ref.first_author.lower(), ref.year, ref.key)


def references(curated: Any, condition_id: str | None = None) -> list[Reference]:
    """The included studies (of ``condition_id``, or all) and the reviews with a finding on it (or
    every review), sorted. A study curated under two conditions is one reference with both."""
    studies = curated.studies[curated.studies["decision"] == "include"]
    findings = curated.review_findings
    if condition_id:
        studies = studies[studies["condition_id"] == condition_id]
        with_finding = findings.loc[findings["condition_id"] == condition_id, "review_id"]
        reviews = curated.reviews[curated.reviews["review_id"].isin(with_finding)]
    else:
        reviews = curated.reviews
    conditions_of_study = studies.groupby("study_id")["condition_id"].agg(lambda c: tuple(sorted(set(c))))
    conditions_of_review = findings.groupby("review_id")["condition_id"].agg(lambda c: tuple(sorted(set(c))))
    refs = [
        _reference(r, r["study_id"], "included study", conditions_of_study[r["study_id"]])
        for r in studies.drop_duplicates("study_id").to_dict("records")
    ]
    refs += [
        _reference(r, r["review_id"], "systematic review", conditions_of_review.get(r["review_id"], ()))
        for r in reviews.to_dict("records")
    ]
    return sorted(refs, key=_sort_key)


def _reference(row: dict[str, str], key: str, kind: str, conditions: tuple[str, ...]) -> Reference:
    return Reference(
        key,
        kind,
        row["first_author"],
        row["year"],
        row["title"],
        row["journal"],
        row["doi"],
        row["pmid"],
        tuple(conditions),
    )


# ----------------------------------------------------------------------------- RIS


def _ris_record(ref: Reference) -> list[str]:
    lines = [
        ("TY", "JOUR"),
        ("ID", ref.key),
        ("AU", ref.first_author),
        ("PY", ref.year),
        ("TI", ref.title),
        ("T2", ref.journal),
        ("DO", ref.doi),
        ("AN", ref.pmid),
        ("DB", "PubMed" if ref.pmid else ""),
        ("UR", ref.url),
        *(("KW", k) for k in ref.keywords),
        ("N1", FIRST_AUTHOR_ONLY if ref.first_author else ""),
    ]
    return [f"{tag}  - {' '.join(value.split())}" for tag, value in lines if value] + ["ER  - "]


def to_ris(refs: list[Reference]) -> str:
    """The references as an RIS file (CRLF line ends, a blank line between records)."""
    records = ["\r\n".join(_ris_record(ref)) for ref in refs]
    return "\r\n\r\n".join(records) + ("\r\n" if records else "")


# ----------------------------------------------------------------------------- BibTeX


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped and whitespace collapsed."""
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))


def _bibtex_record(ref: Reference) -> str:
    title = "{" + latex_escape(ref.title) + "}" if ref.title else ""  # double braces keep the title's capitals
    fields = [
        ("author", latex_escape(ref.first_author)),
        ("title", title),
        ("journal", latex_escape(ref.journal)),
        ("year", ref.year),
        ("doi", ref.doi),
        ("pmid", ref.pmid),
        ("url", ref.url),
        ("keywords", latex_escape(", ".join(ref.keywords))),
        ("note", latex_escape(FIRST_AUTHOR_ONLY) if ref.first_author else ""),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@article{{{ref.key},\n{body}\n}}\n"


def to_bibtex(refs: list[Reference]) -> str:
    """The references as a BibTeX file (``@article`` entries keyed by study or review id)."""
    return "\n".join(_bibtex_record(ref) for ref in refs)


KINDS = {"trials": "included study", "reviews": "systematic review"}  # file suffix -> the references it holds


def export_name(name: str, kind: str, extension: str) -> str:
    """The file name of one export: ``<all or condition_id>-<trials or reviews>.<ris or bib>``."""
    return f"{name}-{kind}.{extension}"


def export_files(curated: Any, condition_ids: list[str]) -> dict[str, str]:
    """Every export of the report as {file name: text}: the included trials and the reviews in separate
    files, for all conditions (``all-trials.ris``, ``all-reviews.bib``, ...) and per condition
    (``<condition_id>-trials.ris``, ...); a file with no reference is not written."""
    out: dict[str, str] = {}
    for name, refs in [("all", references(curated)), *((cid, references(curated, cid)) for cid in condition_ids)]:
        for kind, label in KINDS.items():
            mine = [r for r in refs if r.kind == label]
            if mine:
                out[export_name(name, kind, "ris")] = to_ris(mine)
                out[export_name(name, kind, "bib")] = to_bibtex(mine)
    return out


def reference_counts(curated: Any, condition_id: str | None = None) -> dict[str, int]:
    """How many included studies and reviews an export of ``condition_id`` (or all) holds."""
    refs = references(curated, condition_id)
    return {
        "studies": sum(r.kind == "included study" for r in refs),
        "reviews": sum(r.kind == "systematic review" for r in refs),
    }

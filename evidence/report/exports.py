"""Reference exports: the included studies and the reviews as RIS and BibTeX, for Zotero, EndNote, JabRef.

``references`` collects them from the curated tables (one condition, or all); ``to_ris`` and
``to_bibtex`` write them. Both are deterministic: studies first, then reviews, each sorted by
first author, year and id; no date or counter in the output.

What a record holds: the key (study_id or review_id), every author, year, title, journal, DOI, PMID
with its PubMed address, and as keywords the condition ids and "included study" or "systematic
review". An empty cell leaves its field out.

Authors, one rule (``author_list``): the PubMed snapshot's full list when it holds the record's PMID
(``evidence.pubmed.store.author_lists``), else the curated list (``data/curated/authors.csv``), else the
first author alone, marked incomplete the way each format's readers understand: BibTeX ends the list
with ``and others`` (BibTeX's "et al."), RIS has no such word, so its note (``N1``) says so. No list is
ever made up.

RIS follows the RIS format specification (tags ``TY``..``ER``, "TAG  - value" lines, CRLF line
ends). BibTeX escapes the characters that LaTeX reads as commands (``& % $ # _ { } ~ ^ \\``) in
text fields; DOIs and URLs are written as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INCOMPLETE_AUTHORS = (
    "author list incomplete: only the first author, where known (neither the PubMed snapshot nor "
    "data/curated/authors.csv holds the full list)"
)
_INITIALS = re.compile(r"^(.+?)\s+([A-Z]{1,4})$")  # "LastName AB", as first_author is written
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
    authors: tuple[str, ...] = ()  # the full author list; empty when we hold none (first author only)

    @property
    def url(self) -> str:
        return (
            f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
            if self.pmid
            else (f"https://doi.org/{self.doi}" if self.doi else "")
        )

    @property
    def names(self) -> list[str]:
        """The authors to write: the full list, else the first author as "LastName, Initials"."""
        if self.authors:
            return list(self.authors)
        return [_INITIALS.sub(r"\1, \2", self.first_author.strip())] if self.first_author else []

    @property
    def incomplete(self) -> bool:
        """We hold no full author list (at most the first author)."""
        return not self.authors

    @property
    def keywords(self) -> tuple[str, ...]:
        return (self.kind, *self.conditions)


def _sort_key(ref: Reference) -> tuple:
    return (ref.kind != "included study", ref.first_author.lower(), ref.year, ref.key)


def author_list(
    pmid: str, key: str, pubmed_authors: Mapping[str, tuple[str, ...]], curated_authors: Mapping[str, str]
) -> tuple[str, ...]:
    """A record's full author list: the PubMed snapshot's (by PMID), else the curated one (by id, "; "-separated),
    else none."""
    listed = curated_authors.get(key, "")
    return pubmed_authors.get(pmid) or tuple(a.strip() for a in listed.split(";") if a.strip())


def references(
    curated: Any, condition_id: str | None = None, pubmed_authors: Mapping[str, tuple[str, ...]] | None = None
) -> list[Reference]:
    """The included studies (of ``condition_id``, or all) and the reviews with a finding on it (or
    every review), sorted, each with its authors (``author_list``; ``pubmed_authors``: PMID -> the PubMed
    snapshot's list). A study curated under two conditions is one reference with both."""
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
    listed = dict(zip(curated.authors["id"], curated.authors["authors"]))

    def reference(row: dict[str, str], key: str, kind: str, conditions: tuple[str, ...]) -> Reference:
        return _reference(row, key, kind, conditions, author_list(row["pmid"], key, pubmed_authors or {}, listed))

    refs = [
        reference(r, r["study_id"], "included study", conditions_of_study[r["study_id"]])
        for r in studies.drop_duplicates("study_id").to_dict("records")
    ]
    refs += [
        reference(r, r["review_id"], "systematic review", conditions_of_review.get(r["review_id"], ()))
        for r in reviews.to_dict("records")
    ]
    return sorted(refs, key=_sort_key)


def _reference(
    row: dict[str, str], key: str, kind: str, conditions: tuple[str, ...], authors: tuple[str, ...]
) -> Reference:
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
        authors,
    )


# ----------------------------------------------------------------------------- RIS


def _ris_record(ref: Reference) -> list[str]:
    lines = [
        ("TY", "JOUR"),
        ("ID", ref.key),
        *(("AU", name) for name in ref.names),
        ("PY", ref.year),
        ("TI", ref.title),
        ("T2", ref.journal),
        ("DO", ref.doi),
        ("AN", ref.pmid),
        ("DB", "PubMed" if ref.pmid else ""),
        ("UR", ref.url),
        *(("KW", k) for k in ref.keywords),
        ("N1", INCOMPLETE_AUTHORS if ref.incomplete else ""),
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


def _bibtex_name(name: str) -> str:
    """One author for BibTeX: "LastName, Initials" as it is; a name without a comma (a group, or a first author
    written without initials) braced, so that BibTeX keeps it whole instead of splitting off a first name."""
    return latex_escape(name) if "," in name else "{" + latex_escape(name) + "}"


def _bibtex_record(ref: Reference) -> str:
    title = "{" + latex_escape(ref.title) + "}" if ref.title else ""  # double braces keep the title's capitals
    authors = [_bibtex_name(n) for n in ref.names] + (["others"] if ref.incomplete and ref.first_author else [])
    fields = [
        ("author", " and ".join(authors)),
        ("title", title),
        ("journal", latex_escape(ref.journal)),
        ("year", ref.year),
        ("doi", ref.doi),
        ("pmid", ref.pmid),
        ("url", ref.url),
        ("keywords", latex_escape(", ".join(ref.keywords))),
        ("note", latex_escape(INCOMPLETE_AUTHORS) if ref.incomplete else ""),
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


def export_files(
    curated: Any, condition_ids: list[str], pubmed_authors: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, str]:
    """Every export of the report as {file name: text}: the included trials and the reviews in separate
    files, for all conditions (``all-trials.ris``, ``all-reviews.bib``, ...) and per condition
    (``<condition_id>-trials.ris``, ...); a file with no reference is not written."""
    out: dict[str, str] = {}
    for name in ["all", *condition_ids]:
        refs = references(curated, None if name == "all" else name, pubmed_authors)
        for kind, label in KINDS.items():
            mine = [r for r in refs if r.kind == label]
            if mine:
                out[export_name(name, kind, "ris")] = to_ris(mine)
                out[export_name(name, kind, "bib")] = to_bibtex(mine)
    return out


def reference_counts(
    curated: Any, condition_id: str | None = None, pubmed_authors: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """How many included studies and reviews an export of ``condition_id`` (or all) holds, and the keys of
    the records exported with their first author only (``incomplete``)."""
    refs = references(curated, condition_id, pubmed_authors)
    return {
        "studies": sum(r.kind == "included study" for r in refs),
        "reviews": sum(r.kind == "systematic review" for r in refs),
        "incomplete": sorted(r.key for r in refs if r.incomplete),
    }

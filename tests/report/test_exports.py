"""Reference exports: which studies and reviews a file holds, and RIS/BibTeX that real parsers read back."""

from __future__ import annotations

import re

import pytest

from evidence.curation.schema import Curated
from evidence.report.exports import export_files, references, to_bibtex, to_ris
from tests.conftest import curated_tables


def curated(studies: list[dict], reviews: list[dict], findings: list[dict]) -> Curated:
    return curated_tables(studies=studies, reviews=reviews, review_findings=findings)


STUDY = {
    "first_author": "Zed A",
    "year": "2019",
    "title": "Needling   the neck",
    "journal": "J Neck",
    "doi": "10.1/abc",
    "pmid": "123",
}
DATA = curated(
    studies=[
        {**STUDY, "study_id": "Zed2019", "condition_id": "neck_pain", "decision": "include"},
        {**STUDY, "study_id": "Zed2019", "condition_id": "headache", "decision": "include"},  # one study, 2 conditions
        {**STUDY, "study_id": "Out2018", "condition_id": "neck_pain", "decision": "exclude", "first_author": "Out B"},
        {
            **STUDY,
            "study_id": "Abe2021",
            "condition_id": "knee_pain",
            "decision": "include",
            "first_author": "Abe C",
            "pmid": "",
            "doi": "10.2/xyz",
        },
    ],
    reviews=[
        {
            "review_id": "Rev2020",
            "first_author": "Rev D",
            "year": "2020",
            "title": "A review",
            "journal": "Rev J",
            "doi": "10.3/rev",
            "pmid": "",
        }
    ],
    findings=[{"review_id": "Rev2020", "condition_id": "neck_pain"}],
)


def test_references_hold_included_studies_then_reviews_of_the_condition():
    neck = references(DATA, "neck_pain")
    assert [(r.key, r.kind) for r in neck] == [("Zed2019", "included study"), ("Rev2020", "systematic review")]
    assert neck[0].conditions == ("neck_pain",) and neck[0].url == "https://pubmed.ncbi.nlm.nih.gov/123/"
    everything = references(DATA)
    assert [r.key for r in everything] == ["Abe2021", "Zed2019", "Rev2020"]  # by first author, studies first
    assert everything[1].conditions == ("headache", "neck_pain")  # one reference for a study curated twice
    assert references(DATA)[0].url == "https://doi.org/10.2/xyz"
    assert [r.key for r in references(DATA, "knee_pain")] == ["Abe2021"]
    files = export_files(DATA, ["neck_pain", "knee_pain", "tmd"])
    assert sorted(files) == sorted(
        f"{name}-{kind}.{ext}"
        for name, kind in [("all", "trials"), ("all", "reviews"), ("knee_pain", "trials"), ("neck_pain", "trials")]
        + [("neck_pain", "reviews")]
        for ext in ("ris", "bib")
    )
    assert "Rev2020" not in files["all-trials.ris"] and "Zed2019" not in files["all-reviews.bib"]


def test_ris_and_bibtex_parse_back():
    rispy = pytest.importorskip("rispy")
    bibtexparser = pytest.importorskip("bibtexparser")
    refs = references(DATA)
    ris = rispy.loads(to_ris(refs))
    assert [r["id"] for r in ris] == ["Abe2021", "Zed2019", "Rev2020"]
    assert ris[1]["title"] == "Needling the neck" and ris[1]["accession_number"] == "123"
    assert ris[1]["keywords"] == ["included study", "headache", "neck_pain"]
    library = bibtexparser.parse_string(to_bibtex(refs))
    assert not library.failed_blocks and [e.key for e in library.entries] == ["Abe2021", "Zed2019", "Rev2020"]
    assert library.entries[0].fields_dict["doi"].value == "10.2/xyz"
    assert to_ris(refs) == to_ris(references(DATA))  # deterministic


def test_bibtex_escapes_latex_specials():
    from evidence.report.exports import Reference, to_bibtex

    bibtexparser = pytest.importorskip("bibtexparser")
    ref = Reference(
        "Odd2020", "included study", "O'Neil", "2020", "50% of {braces} & #tags_x", "J $ Test", "", "1", ("neck_pain",)
    )
    entry = bibtexparser.parse_string(to_bibtex([ref])).entries[0]
    assert entry.key == "Odd2020"
    assert entry.fields_dict["title"].value == r"{50\% of \{braces\} \& \#tags\_x}"


# ----------------------------------------------------------------------------- authors


def test_every_author_from_the_pubmed_snapshot_else_the_curated_list_else_marked_incomplete(tmp_path, articles):
    """The authors of a record: the PubMed snapshot's list (a store filled by the parser from the recorded
    articles), else data/curated/authors.csv, else the first author alone, marked incomplete as BibTeX
    (``and others``) and RIS (a note) readers understand."""
    from lxml import etree

    from evidence.pubmed.parser import parse_pubmed_xml
    from evidence.pubmed.store import PubmedStore, author_lists
    from evidence.report.exports import INCOMPLETE_AUTHORS

    rispy = pytest.importorskip("rispy")
    bibtexparser = pytest.importorskip("bibtexparser")
    store = PubmedStore(tmp_path / "pubmed")
    xml = b"<PubmedArticleSet>" + b"".join(articles.values()) + b"</PubmedArticleSet>"
    store.upsert_records(parse_pubmed_xml(xml), "2026-01-01")
    stored = author_lists(store.records())
    # the record with the most authors, and its authors as the XML lists them
    pmid = max(stored, key=lambda p: (len(stored[p]), p))
    article = etree.fromstring(articles[pmid])
    expected = [
        f"{a.findtext('LastName')}, {a.findtext('Initials') or a.findtext('ForeName')}"
        if a.findtext("LastName")
        else a.findtext("CollectiveName")
        for a in article.iterfind("MedlineCitation/Article/AuthorList/Author")
    ]
    assert list(stored[pmid]) == expected and len(expected) >= 2
    first = expected[0].split(",")[0]
    data = curated_tables(
        studies=[
            {**STUDY, "study_id": "InPubmed", "pmid": pmid, "first_author": first, "decision": "include"},
            {**STUDY, "study_id": "Curated", "pmid": "", "first_author": "Lee AB", "decision": "include"},
            {**STUDY, "study_id": "Unknown", "pmid": "", "first_author": "Zed A", "decision": "include"},
        ],
        authors=[
            {"id": "Curated", "authors": "Lee, AB; Kim, C; Ode, D", "source_location": "journal page"},
            {"id": "InPubmed", "authors": f"{first}, X", "source_location": "not used: PubMed wins"},
        ],
    )
    refs = references(data, pubmed_authors=stored)
    ris = {r["id"]: r for r in rispy.loads(to_ris(refs))}
    assert ris["InPubmed"]["authors"] == expected and "notes" not in ris["InPubmed"]
    assert ris["Curated"]["authors"] == ["Lee, AB", "Kim, C", "Ode, D"] and "notes" not in ris["Curated"]
    assert ris["Unknown"]["authors"] == ["Zed, A"] and ris["Unknown"]["notes"] == [INCOMPLETE_AUTHORS]
    bib = {e.key: e.fields_dict for e in bibtexparser.parse_string(to_bibtex(refs)).entries}
    assert bib["Curated"]["author"].value == "Lee, AB and Kim, C and Ode, D" and "note" not in bib["Curated"]
    assert bib["Unknown"]["author"].value == "Zed, A and others" and "note" in bib["Unknown"]
    assert bib["InPubmed"]["author"].value.count(" and ") == len(expected) - 1
    assert [r.key for r in refs if r.incomplete] == ["Unknown"]


def test_pubmed_author_lists_marked_incomplete_are_not_taken_as_whole():
    from evidence.pubmed.parser import parse_pubmed_xml

    xml = (
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b'<AuthorList CompleteYN="N"><Author><LastName>Solo</LastName><Initials>A</Initials></Author></AuthorList>'
        b"</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    (record,) = parse_pubmed_xml(xml)
    assert record["first_author"] == "Solo" and record["authors"] == []


def test_the_readme_names_the_records_exported_without_a_full_author_list():
    """README's list of the records that lack a full author list is the committed data's."""
    from evidence.curation.schema import load_curated
    from evidence.pubmed.store import PubmedStore, author_lists
    from tests.conftest import PROJECT

    curated = load_curated(PROJECT / "data" / "curated")
    stored = author_lists(PubmedStore(PROJECT / "data" / "pubmed").records())
    lacking = sorted(r.key for r in references(curated, pubmed_authors=stored) if r.incomplete)
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- incomplete-authors:start -->")[1].split("<!-- incomplete-authors:end -->")[0]
    assert re.findall(r"`([^`]+)`", section) == lacking

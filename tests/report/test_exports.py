"""Reference exports: which studies and reviews a file holds, and RIS/BibTeX that real parsers read back."""

from __future__ import annotations

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

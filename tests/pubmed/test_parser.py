"""Parsing PubMed XML: fields, inline markup, retractions, deletions, safety, streaming."""

from __future__ import annotations

import io

import pytest

from evidence.pubmed.parser import PubmedXMLError, parse_pubmed_xml
from tests.conftest import HANDWRITTEN, needs_shared
from tests.eutils_server import EUTILS_FIXTURES


def by_pmid(source) -> dict[str, dict]:
    return {r["pmid"]: r for r in parse_pubmed_xml(source)}


def test_handwritten_core_fields():
    recs = by_pmid(HANDWRITTEN)
    first = recs["90000001"]
    assert first["title"] == "Needling of trigger points in a test: a randomized trial"
    assert first["abstract"] == "BACKGROUND: First part with H2O.\nRESULTS: Second part."
    assert first["doi"] == "10.9999/test.0001"  # from ELocationID, lower-cased
    assert first["year"] == 2021
    assert first["registry_ids"] == ["NCT00000001"]
    assert first["mesh_terms"] == ["Dry Needling"]
    assert first["errata"] == ["90000009"]
    assert first["retracted"] is False
    second = recs["90000002"]
    assert second["year"] == 1998  # first year of a MedlineDate
    assert second["languages"] == ["eng", "fre"]
    assert second["first_author"] == "Test Group"
    assert second["retracted"] is True
    assert recs["90000003"]["retraction_of"] == ["90000002"]
    assert recs["90000099"] == {"pmid": "90000099", "deleted": True}


@pytest.mark.parametrize("kind", ["path", "bytes", "file"])
def test_accepts_path_bytes_and_file(kind):
    data = HANDWRITTEN.read_bytes()
    source = {"path": HANDWRITTEN, "bytes": data, "file": io.BytesIO(data)}[kind]
    assert [r["pmid"] for r in parse_pubmed_xml(source)] == ["90000001", "90000002", "90000003", "90000099"]


def test_recorded_inline_markup_and_structured_abstract():
    needs_shared()
    rec = by_pmid(EUTILS_FIXTURES / "biopython" / "pubmed4.xml")["27797938"]
    assert "<" not in rec["title"] and "TERT" in rec["title"]
    assert rec["abstract"].startswith("OBJECTIVE: ")
    assert rec["doi"] == "10.1136/gutjnl-2016-312510"
    rec5 = by_pmid(EUTILS_FIXTURES / "biopython" / "pubmed5.xml")["28775130"]
    assert "<sub>" not in rec5["abstract"] and rec5["abstract"].count("\n") >= 2


def test_recorded_languages_and_empty_set():
    needs_shared()
    assert by_pmid(EUTILS_FIXTURES / "metapub" / "36987902.xml")["36987902"]["languages"] == ["eng", "nor"]
    assert list(parse_pubmed_xml(EUTILS_FIXTURES / "metapub" / "37909814.xml")) == []


def test_recorded_baseline_file_retractions_errata_and_deletions():
    needs_shared()
    recs = list(parse_pubmed_xml(EUTILS_FIXTURES / "fatcat" / "pubmedsample_2019.xml"))
    articles = {r["pmid"]: r for r in recs if not r["deleted"]}
    assert len(articles) == 176
    assert sum(r["deleted"] for r in recs) == 7
    assert {p for p, r in articles.items() if r["retracted"]} == {"8655018", "8863847", "11543891"}
    assert articles["11600210"]["retraction_of"] == ["11543891"]
    assert sum(len(r["errata"]) for r in articles.values()) >= 1
    assert all(r["year"] for r in articles.values())


def test_matches_biopython_on_recorded_files():
    """Cross-check with an independent parser (Bio.Entrez.read, which ships these DTDs)."""
    needs_shared()
    from Bio import Entrez

    for name in ("pubmed1.xml", "pubmed2.xml", "pubmed4.xml", "pubmed6.xml", "pubmed7.xml"):
        path = EUTILS_FIXTURES / "biopython" / name
        with open(path, "rb") as handle:
            theirs = Entrez.read(handle)["PubmedArticle"]
        ours = list(parse_pubmed_xml(path))
        assert theirs, f"{name}: Biopython found no articles, so there is nothing to compare"
        assert [str(a["MedlineCitation"]["PMID"]) for a in theirs] == [r["pmid"] for r in ours]
        for a, r in zip(theirs, ours):
            langs = [str(x) for x in a["MedlineCitation"]["Article"]["Language"]]
            assert langs == r["languages"]


def test_truncated_xml_is_an_error_naming_the_problem():
    data = HANDWRITTEN.read_bytes()
    with pytest.raises(PubmedXMLError, match="malformed or truncated"):
        list(parse_pubmed_xml(data[: len(data) // 2]))


EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&lol3;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""


@pytest.mark.parametrize("payload", [EXTERNAL_ENTITY, BOMB], ids=["external-entity", "entity-bomb"])
def test_entity_declarations_are_refused(payload):
    with pytest.raises(PubmedXMLError, match="declares entities"):
        list(parse_pubmed_xml(payload))


def test_streaming_frees_parsed_articles():
    """Memory stays flat: parsed articles are removed from the tree (only the parser's
    read-ahead of a few articles stays in it, never the 176 of the file)."""
    needs_shared()
    seen_children = []
    gen = parse_pubmed_xml(EUTILS_FIXTURES / "fatcat" / "pubmedsample_2019.xml")
    for i, _ in enumerate(gen):
        if i % 50 == 0:
            root = gen.gi_frame.f_locals["element"].getroottree().getroot()
            seen_children.append(len(root))
    assert len(seen_children) == 4 and max(seen_children) <= 10

"""Parse PubMed XML (efetch answers, baseline and update files) into plain records.

The parser streams: it reads one ``PubmedArticle`` at a time and frees it, so memory stays
constant whatever the file size. Gzipped files (PubMed's baseline and update files are
``.xml.gz``) are recognised by their magic bytes and decompressed as they are read. It never fetches a DTD, never resolves an entity and refuses
a document that declares entities (the way to an external-entity read or an expansion bomb).

Functions
---------
parse_pubmed_xml(source)  yields one dict per ``PubmedArticle`` (and one per PMID of a
                          ``DeleteCitation``, with ``deleted=True``)

Record keys: ``pmid``, ``doi``, ``title``, ``abstract``, ``journal``, ``year``, ``first_author``,
``authors`` (every author as "LastName, Initials", a group by its name; empty when PubMed marks its
list incomplete, ``AuthorList CompleteYN="N"``), ``languages``, ``publication_types``, ``mesh_terms``, ``registry_ids``, ``retracted``,
``retraction_of``, ``errata``, ``deleted``.

>>> recs = list(parse_pubmed_xml(b"<PubmedArticleSet/>"))
>>> recs
[]
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from os import PathLike
from typing import BinaryIO

from lxml import etree

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
GZIP_MAGIC = b"\x1f\x8b"
# the root element of PubMed XML: efetch answers, baseline and update files alike
ROOT = "PubmedArticleSet"


class PubmedXMLError(ValueError):
    """The XML is malformed, truncated or unsafe; the message says which and where."""


def _text(element: etree._Element | None) -> str:
    """All text below an element, inline markup (``<i>``, ``<sup>``, MathML) flattened."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _abstract(article: etree._Element) -> str:
    parts = []
    for node in article.iterfind("MedlineCitation/Article/Abstract/AbstractText"):
        text, label = _text(node), node.get("Label")
        if text:
            parts.append(f"{label}: {text}" if label else text)
    return "\n".join(parts)


def _year(article: etree._Element) -> int | None:
    pub_date = article.find("MedlineCitation/Article/Journal/JournalIssue/PubDate")
    if pub_date is None:
        return None
    year = pub_date.findtext("Year")
    if year and year.strip().isdigit():
        return int(year)
    match = _YEAR.search(pub_date.findtext("MedlineDate") or "")
    return int(match.group(1)) if match else None


def _first_author(article: etree._Element) -> str:
    author = article.find("MedlineCitation/Article/AuthorList/Author")
    if author is None:
        return ""
    return (author.findtext("LastName") or author.findtext("CollectiveName") or "").strip()


def _authors(article: etree._Element) -> list[str]:
    """Every author in order as "LastName, Initials" (the fore name when there are no initials; a group by
    its ``CollectiveName``); empty when PubMed says its list is incomplete (``CompleteYN="N"``), so that a
    partial list is never taken for the whole."""
    author_list = article.find("MedlineCitation/Article/AuthorList")
    if author_list is None or author_list.get("CompleteYN") == "N":
        return []
    names = []
    for author in author_list.iterfind("Author"):
        last = _text(author.find("LastName"))
        given = _text(author.find("Initials")) or _text(author.find("ForeName"))
        name = f"{last}, {given}" if last and given else last or _text(author.find("CollectiveName"))
        if name:
            names.append(name)
    return names


def _doi(article: etree._Element) -> str | None:
    for node in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if node.get("IdType") == "doi" and _text(node):
            return _text(node).lower()
    for node in article.iterfind("MedlineCitation/Article/ELocationID"):
        if node.get("EIdType") == "doi" and _text(node):
            return _text(node).lower()
    return None


def _linked_pmids(article: etree._Element, ref_type: str) -> list[str]:
    return [
        pmid.strip()
        for node in article.iterfind("MedlineCitation/CommentsCorrectionsList/CommentsCorrections")
        if node.get("RefType") == ref_type
        for pmid in [node.findtext("PMID") or ""]
        if pmid.strip()
    ]


def _has_link(article: etree._Element, ref_type: str) -> bool:
    return any(
        node.get("RefType") == ref_type
        for node in article.iterfind("MedlineCitation/CommentsCorrectionsList/CommentsCorrections")
    )


def _record(article: etree._Element) -> dict:
    texts = lambda path: [_text(n) for n in article.iterfind(path) if _text(n)]  # noqa: E731
    publication_types = texts("MedlineCitation/Article/PublicationTypeList/PublicationType")
    return {
        "pmid": (article.findtext("MedlineCitation/PMID") or "").strip(),
        "doi": _doi(article),
        "title": _text(article.find("MedlineCitation/Article/ArticleTitle")),
        "abstract": _abstract(article),
        "journal": _text(article.find("MedlineCitation/Article/Journal/Title")),
        "year": _year(article),
        "first_author": _first_author(article),
        "authors": _authors(article),
        "languages": texts("MedlineCitation/Article/Language"),
        "publication_types": publication_types,
        "mesh_terms": texts("MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName"),
        "registry_ids": texts("MedlineCitation/Article/DataBankList/DataBank/AccessionNumberList/AccessionNumber"),
        "retracted": "Retracted Publication" in publication_types or _has_link(article, "RetractionIn"),
        "retraction_of": _linked_pmids(article, "RetractionOf"),
        "errata": _linked_pmids(article, "ErratumIn"),
        "deleted": False,
    }


def _open(source: str | PathLike | bytes | BinaryIO) -> BinaryIO:
    """A binary stream of the XML of ``source`` (a path or bytes are decompressed on the fly when
    they start with gzip's magic bytes; an open file is read as it is)."""
    if isinstance(source, (bytes, bytearray)):
        if source[:2] == GZIP_MAGIC:
            return gzip.GzipFile(fileobj=io.BytesIO(source), mode="rb")  # type: ignore[return-value]
        return io.BytesIO(source)
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as probe:
            gzipped = probe.read(2) == GZIP_MAGIC
        return gzip.open(source, "rb") if gzipped else open(source, "rb")  # type: ignore[return-value]
    return source


def _refuse_entity_declarations(tree: etree._ElementTree, name: str) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise PubmedXMLError(
            f"{name}: the document declares entities in its DOCTYPE; refused "
            "(external entities and entity expansion are not allowed)"
        )


def parse_pubmed_xml(source: str | PathLike | bytes | BinaryIO) -> Iterator[dict]:
    """Yield one record per ``PubmedArticle`` of ``source`` (a path, bytes or binary file).

    A ``DeleteCitation`` (PubMed update files) yields ``{"pmid": ..., "deleted": True}`` per PMID,
    so that a store applying the stream removes those records.

    Raises
    ------
    PubmedXMLError
        On malformed or truncated XML (with the line), a document that declares entities, or one
        whose root element is not ``PubmedArticleSet`` (well-formed XML that is not PubMed XML).
    """
    name = str(source) if isinstance(source, (str, PathLike)) else "PubMed XML"
    stream = _open(source)
    context = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    checked = False
    try:
        for event, element in context:
            if not checked:
                _refuse_entity_declarations(element.getroottree(), name)
                if element.tag != ROOT:
                    raise PubmedXMLError(
                        f"{name}: not PubMed XML: expected a <{ROOT}> root element (an efetch answer, "
                        f"a PubMed baseline or update file), found <{element.tag}>"
                    )
                checked = True
            if event != "end":
                continue
            if element.tag == "PubmedArticle":
                yield _record(element)
            elif element.tag == "DeleteCitation":
                for pmid in element.iterfind("PMID"):
                    yield {"pmid": (pmid.text or "").strip(), "deleted": True}
            else:
                continue
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise PubmedXMLError(f"{name}: malformed or truncated XML: {exc}") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise PubmedXMLError(f"{name}: truncated or corrupt gzip file: {exc}") from exc
    finally:
        if stream is not source:
            stream.close()

"""The static HTML report: rendering only.

``build_report`` writes ``data/derived/report/`` from the in-memory results of a run
(:class:`ReportInputs`, built by the main job from the validated inputs, the derived tables as
written and the PubMed snapshot): plain HTML pages that work when ``index.html`` is opened from
disk (no server, no network, no CDN; the only script is a few lines inlined in ``index.html``;
the forest plots are copied beside the pages and referenced relatively). The same inputs give
byte-identical pages: rows are sorted and nothing depends on the clock. This module reads no
curated or derived table and opens no connection.

Pages
-----
index.html                      the evidence map (conditions, mechanism and safety topics x
                                outcome domains) and the claims table with search and filters
conditions/<condition_id>.html  one per search definition: PRISMA 2020 flow, studies, forest
                                plots, summary of findings, questions without usable data,
                                reviews, risk of bias, reference exports
claims/<claim_id>.html          one per registered claim: verdict, evidence, occurrences
documents/<stem>.html           one per patient document of documents.csv: the places the claims register
                                quotes from it (locators only, never the document's text) with each claim's
                                verdict and the wording allowed, and the command that shows the whole text
provenance.html                 searches, search log, sensitivity, unscreened records, changes
notebooks/<name>.html           the executed notebooks (written by ``evidence.jobs.notebooks``)
prisma/prisma_<condition_id>.svg  the PRISMA 2020 flow diagram of each condition (``evidence.report.prisma``)
exports/<all or condition_id>-trials.ris, .bib, -reviews.ris, .bib
                                the included studies and reviews for reference managers
                                (``evidence.report.exports``)

No placeholder reaches a page: an unknown value reads "not reported" (with the reason where the
data give one) or its element is left out; ``tests/test_report.py`` scans every page for "?",
"nan", "None", "( to )", effects without a scale and empty numeric cells.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from evidence import __version__
from evidence.config import DEFAULT_MATERIALS_DIR, NOTEBOOKS_DIR, PROJECT_ROOT
from evidence.curation.claims import link_sources
from evidence.curation.schema import cell_number
from evidence.curation.searches import SearchDefinitions, condition_of
from evidence.curation.topics import TOPICS, topic_type
from evidence.pubmed.status import (
    HOW_TO_SEARCH,
    PRISMA_COLUMNS,
    Snapshot,
    exclusion_reasons,
    last_runs,
    new_by_condition,
    prisma_flow,
    search_sensitivity,
    unscreened,
)
from evidence.pubmed.store import author_lists
from evidence.report import TEMPLATES_DIR, exports, prisma
from evidence.synthesis.grade import rob_category
from evidence.synthesis.verdicts import best_estimate_key
from evidence.tables import atomic_write_bytes
from evidence.vocab import (
    ANY,
    APPLICABILITY_LABELS,
    COMPARATOR_PHRASES,
    COMPARATORS,
    DOMAINS,
    LEVELS,
    OUTCOME_LABELS,
    PROBLEM_VERDICTS,
    SUBCONDITION_LABELS,
    VERDICTS,
    WINDOW_PHRASES,
    WINDOWS,
    QuestionId,
    direction,
    effect_text,
    order_of,
    parse_review_finding_id,
)

GENERAL = "general"  # the filter value of claims about no single condition
CLAIM_TYPES = ("efficacy", "outcome", "mechanism", "safety", "logistics")  # the claims table's groups, in order
TYPE_HEADINGS = {
    "efficacy": "Does it help a condition?",
    "outcome": "Outcomes and time course",
    "mechanism": "How it works (mechanisms)",
    "safety": "Safety and side effects",
    "logistics": "Definitions and practicalities (not checkable against evidence)",
}
# the evidence map's marks: the direction of the best result (the sign rule of vocab.direction)
MARKS = {
    True: ("\u25b2", "favours dry needling"),
    False: ("\u25bc", "favours the control"),
    None: ("\u25c6", "no clear difference"),
}
NOT_REPORTED = "not reported"
SERVE_COMMAND = "python -m evidence serve"  # starts the wording checker, which serves this report at /report/
# the evidence map's "does it work" columns use only comparisons with an inactive or usual-care control; add-on
# and head-to-head comparisons get a column each (they answer other questions)
DOES_IT_WORK = ("sham", "no_treatment", "usual_care")
OTHER_COLUMNS = (("add_on", "Added to another treatment"), ("active_other", "Against another treatment"))
CERTAINTY_SHORT = {"high": "high", "moderate": "moderate", "low": "low", "very_low": "very low"}
# claims that need rewording: every verdict but supported (and not_checkable, which is no claim of effect)
NEEDS_REWORDING = tuple(v for v in VERDICTS if v not in ("supported", "not_checkable"))
# the claim page's plain-language answer for each verdict
ANSWERS = {
    "supported": "Yes: the evidence supports this claim as worded.",
    "overstated": "Only in part: the claim says more than the evidence shows.",
    "uncertain": "We cannot tell: the evidence is too uncertain to back the claim.",
    "unsupported": "No: we hold no evidence that backs this claim.",
    "contradicted": "No: the evidence points the other way.",
    "not_checkable": "Not checkable: this is a definition or practicality, not a claim of effect.",
    "not_built": "Not judged yet: the verdicts have not been built.",
}


# ----------------------------------------------------------------------------- small helpers


def fmt(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, or "" when the cell is empty."""
    x = cell_number(value)
    return "" if math.isnan(x) else f"{x:.{digits}f}"


def split_reasons(text: str) -> list[str]:
    """ "key: text" items joined with "; " (questions.csv ``not_used``: "study: reason"; certainty.csv
    ``reasons``: "domain: reason") as a list; a "; " inside an item's text is kept."""
    return [part for part in re.split(r";\s(?=[A-Za-z][A-Za-z0-9_]*:\s)", text or "") if part]


def split_list(text: str) -> list[str]:
    """A "; "-joined cell as a list (empty cell: empty list)."""
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


# ----------------------------------------------------------------------------- report inputs


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report page reads, in memory: the validated inputs, the derived tables as
    written (strings), the PubMed snapshot, where the figures are, and the verdicts of the build
    before this one (None when there was none)."""

    definitions: SearchDefinitions
    curated: Any  # evidence.curation.schema.Curated
    claims: tuple  # tuple[evidence.curation.claims.Claim, ...], sorted by id
    questions: pd.DataFrame
    certainty: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    forest: pd.DataFrame
    snapshot: Snapshot
    figures: Path
    previous_verdicts: pd.DataFrame | None = None
    claim_evidence: pd.DataFrame | None = None
    withdrawn: pd.DataFrame | None = None
    change_log: pd.DataFrame | None = None  # data/derived/change_log.csv as written (evidence.report.changelog)
    # the trial-registry cross-check (evidence.registry.crosscheck): a row per registration, a row per condition
    registry: pd.DataFrame | None = None
    registry_summary: pd.DataFrame | None = None

    @classmethod
    def of_run(
        cls, inputs: Any, derived: Any, snapshot: Snapshot, figures: Path, previous_verdicts: pd.DataFrame | None = None
    ) -> ReportInputs:
        """From an ``evidence.curation.inputs.Inputs`` and an ``evidence.jobs.analyse.Derived`` as written."""
        return cls(
            inputs.definitions,
            inputs.curated,
            tuple(inputs.claims),
            derived.questions,
            derived.certainty,
            derived.summary,
            derived.verdicts,
            derived.sensitivity,
            derived.subgroups,
            derived.forest,
            snapshot,
            figures,
            previous_verdicts,
            claim_evidence=derived.claim_evidence,
            withdrawn=derived.withdrawn,
            registry=derived.registry,
            registry_summary=derived.registry_summary,
        )

    @cached_property
    def verdict_by_claim(self) -> dict[str, dict[str, str]]:
        return {r["claim_id"]: r for r in self.verdicts.to_dict("records")}

    @cached_property
    def link_sources_by_claim(self) -> dict[str, list]:
        """claim id -> the source of each of its links (:func:`evidence.curation.claims.link_sources`)."""
        return link_sources(self.claims, self.curated)

    @cached_property
    def places_by_document(self) -> dict[str, list[dict]]:
        """Patient document -> the places the register quotes from it, with their claims (``_document_places``)."""
        return _document_places(self)

    @cached_property
    def review_by_id(self) -> dict[str, dict[str, str]]:
        return {r["review_id"]: r for r in self.curated.reviews.to_dict("records")}

    @cached_property
    def study_by_id(self) -> dict[str, dict[str, str]]:
        """The first curated row of each study id."""
        return {r["study_id"]: r for r in self.curated.studies.drop_duplicates("study_id").to_dict("records")}

    @cached_property
    def certainty_by_question(self) -> dict[str, dict[str, str]]:
        return {r["question_id"]: r for r in self.certainty.to_dict("records")}

    @cached_property
    def questions_with_data_by_condition(self) -> dict[str, list[dict[str, str]]]:
        """The questions with data (k > 0) of each condition, in table order."""
        out: dict[str, list[dict[str, str]]] = {}
        for r in self.questions.to_dict("records"):
            if cell_number(r["k"]) > 0:
                out.setdefault(r["condition_id"], []).append(r)
        return out

    @cached_property
    def review_findings_by_condition(self) -> dict[str, list[dict[str, str]]]:
        """The curated review findings of each condition, in table order."""
        out: dict[str, list[dict[str, str]]] = {}
        for r in self.curated.review_findings.to_dict("records"):
            out.setdefault(r["condition_id"], []).append(r)
        return out

    @cached_property
    def record_by_pmid(self) -> dict[str, dict[str, str]]:
        return {r["pmid"]: r for r in self.snapshot.records.to_dict("records")}

    @cached_property
    def pubmed_authors(self) -> dict[str, tuple[str, ...]]:
        """PMID -> the full author list the PubMed snapshot holds, for the exports."""
        return author_lists(self.snapshot.records)

    @cached_property
    def document_titles(self) -> dict[str, str]:
        """Document file name -> its title (documents.csv)."""
        return dict(zip(self.curated.documents["document"], self.curated.documents["title"]))

    @cached_property
    def documents(self) -> list[str]:
        """The patient documents the claims register quotes (documents.csv rows), by title."""
        titles = self.document_titles
        return sorted(titles, key=lambda d: (titles[d], d))

    @cached_property
    def condition_labels(self) -> dict[str, str]:
        return {c.id: c.label for c in self.definitions.conditions}

    @cached_property
    def prisma(self) -> pd.DataFrame:
        """The PRISMA 2020 flow of every condition (``status.prisma_flow``)."""
        return prisma_flow(self.definitions, self.curated.studies, self.snapshot, self.forest)


def _links(pmid: str, doi: str) -> list[dict[str, str]]:
    out = []
    if pmid:
        out.append({"text": f"PMID {pmid}", "href": pubmed_url(pmid)})
    if doi:
        out.append({"text": f"doi:{doi}", "href": doi_url(doi)})
    return out


def _cite(row: Mapping[str, str]) -> str:
    """ "First author year" of a study, review or source row."""
    return " ".join(x for x in (row.get("first_author", ""), row.get("year", "")) if x)


# ----------------------------------------------------------------------------- page contexts


def _claim_order(verdict: str) -> tuple[int, int, int]:
    """Claims that need rewording first (contradicted, then overstated, then the others in their usual order),
    then the rest in their usual order."""
    return (verdict not in NEEDS_REWORDING, verdict not in PROBLEM_VERDICTS, order_of(verdict, VERDICTS))


def _claim_groups(inputs: ReportInputs) -> list[dict]:
    """The claims table: one group per claim type (CLAIM_TYPES order), problems first within each, with
    the titles of the documents that make each claim."""
    verdicts, labels, titles = inputs.verdict_by_claim, inputs.condition_labels, inputs.document_titles
    groups = []
    for kind in CLAIM_TYPES:
        rows = []
        for claim in (c for c in inputs.claims if c.type == kind):
            v = verdicts.get(claim.id, {})
            documents = sorted({o.document for o in claim.occurrences}, key=lambda d: (titles.get(d, d), d))
            rows.append(
                {
                    "id": claim.id,
                    "statement": claim.statement,
                    "type": claim.type,
                    "verdict": v.get("verdict", "not_built"),
                    "certainty": v.get("certainty", ""),
                    "wording": v.get("allowed_wording", ""),
                    "conditions": " ".join(claim.conditions) or GENERAL,
                    "condition_labels": [labels.get(c, c) for c in claim.conditions],
                    "documents": " ".join(documents),
                    "document_titles": [titles.get(d, d) for d in documents],
                }
            )
        rows.sort(key=lambda r: (_claim_order(r["verdict"]), r["id"]))
        if rows:
            groups.append(
                {
                    "type": kind,
                    "heading": TYPE_HEADINGS[kind],
                    "rows": rows,
                    "problems": sum(r["verdict"] in NEEDS_REWORDING for r in rows),
                }
            )
    return groups


def _map_cell(inputs: ReportInputs, condition_id: str, comparators: tuple[str, ...], domain: str | None) -> dict:
    """One cell of the evidence map: of a condition's evidence questions against ``comparators`` (and in
    ``domain``, or any domain when None), the best one (the one best-estimate rule,
    ``verdicts.best_estimate_key``) with its certainty, direction, size, studies and participants; else the
    published review findings against those comparators; else a gap."""

    def wanted(r: dict[str, str]) -> bool:
        return r["comparator_type"] in comparators and (domain is None or r["outcome_domain"] == domain)

    mine = [r for r in inputs.questions_with_data_by_condition.get(condition_id, []) if wanted(r)]
    cert = inputs.certainty_by_question
    where = OUTCOME_LABELS.get(domain, domain) if domain else "any outcome"
    if mine:
        best = max(
            mine,
            key=lambda r: best_estimate_key(
                cert.get(r["question_id"], {}).get("final", ""), cell_number(r["n_participants"]), 0, r["question_id"]
            ),
        )
        question = QuestionId.parse(best["question_id"])
        certainty = cert.get(best["question_id"], {}).get("final", "")
        mark, meaning = MARKS[
            direction(cell_number(best["estimate"]), cell_number(best["ci_low"]), cell_number(best["ci_high"]))
        ]
        k, n = int(cell_number(best["k"])), fmt(best["n_participants"], 0)
        size = best["effect_class"] or "unclassified"
        title = (
            f"{where}: best of {len(mine)} question(s) with data: {question.label}; "
            f"{_studies(k)}, {n or NOT_REPORTED} participants; "
            f"{(certainty or 'not rated').replace('_', ' ')} certainty; {meaning}"
            + (f", {best['effect_class']} effect" if best["effect_class"] else ", effect size not classified")
        )
        return {
            "kind": "question",
            "certainty": certainty,
            "certainty_text": CERTAINTY_SHORT.get(certainty, "not rated"),
            "mark": mark,
            "size": size,
            "k": k,
            "n": n or "n/r",
            "title": title,
            "href": f"conditions/{condition_id}.html#{question.anchor}",
        }
    reviews = [r for r in inputs.review_findings_by_condition.get(condition_id, []) if wanted(r)]
    if reviews:
        # the largest review finding's trials and participants (findings of several reviews overlap: no sum)
        k_text, n_text = (
            f"{max(known):.0f}"
            if (known := [x for x in (cell_number(r[c]) for r in reviews) if not math.isnan(x)])
            else "n/r"
            for c in ("n_trials", "n_participants")
        )
        title = (
            f"{where}: no trial data pooled here; {len(reviews)} published review finding(s), the largest with "
            f"{k_text if k_text != 'n/r' else 'an unreported number of'} trials and "
            f"{n_text if n_text != 'n/r' else 'an unreported number of'} participants; see the condition page"
        )
        return {
            "kind": "reviews",
            "findings": len(reviews),
            "k": k_text,
            "n": n_text,
            "title": title,
            "href": f"conditions/{condition_id}.html#reviews",
        }
    return {"kind": "gap", "title": f"{where}: no evidence in this tracker"}


def _studies(k: int) -> str:
    return f"{k} stud{'y' if k == 1 else 'ies'}"


def _topic_rows(inputs: ReportInputs, kind: str) -> list[dict]:
    """Evidence-map rows of the mechanism or safety topics that claims are about: each topic's claims with
    verdict and certainty, and how many curated rows (mechanism studies or safety reports) they rest on."""
    verdicts = inputs.verdict_by_claim
    table, key = ("mechanisms", "mechanism_id") if kind == "mechanism" else ("safety", "safety_id")
    rows = []
    for topic in (t for t in TOPICS if topic_type(t) == kind):
        claims = [c for c in inputs.claims if c.topic == topic]
        if not claims:
            continue
        items = []
        for c in claims:
            v = verdicts.get(c.id, {})
            items.append(
                {
                    "id": c.id,
                    "verdict": v.get("verdict", "not_built"),
                    "certainty": v.get("certainty", ""),
                    "statement": c.statement,
                }
            )
        sources = {ref for c in claims for ref in getattr(c, "mechanisms" if kind == "mechanism" else "safety")}
        known = set(getattr(inputs.curated, table)[key])
        rows.append({"label": TOPICS[topic][1], "claims": items, "sources": len(sources & known)})
    return rows


def _evidence_map(inputs: ReportInputs) -> dict:
    """The evidence-and-gap map of the index page (as 3ie and EPPI-Mapper draw them): conditions x outcome
    domains against inactive or usual-care controls ("does it work"), then a column for dry needling added to
    another treatment and one for dry needling against another treatment; then the mechanism and safety
    topics."""
    conditions = [
        {
            "id": c.id,
            "label": c.label,
            "cells": [_map_cell(inputs, c.id, DOES_IT_WORK, d) for d in DOMAINS]
            + [_map_cell(inputs, c.id, (comparator,), None) for comparator, _ in OTHER_COLUMNS],
        }
        for c in inputs.definitions.conditions
    ]
    return {
        "domains": [OUTCOME_LABELS.get(d, d) for d in DOMAINS],
        "others": [label for _, label in OTHER_COLUMNS],
        "conditions": conditions,
        "mechanisms": _topic_rows(inputs, "mechanism"),
        "safety": _topic_rows(inputs, "safety"),
        "marks": [{"mark": m, "meaning": meaning} for m, meaning in MARKS.values()],
        "certainty": [{"level": level, "text": CERTAINTY_SHORT[level]} for level in reversed(LEVELS)],
    }


def _index_context(inputs: ReportInputs, notebooks: list[dict[str, str]]) -> dict:
    labels = inputs.condition_labels
    groups = _claim_groups(inputs)
    rows = [r for g in groups for r in g["rows"]]
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    used = sorted(
        {c for claim in inputs.claims for c in claim.conditions},
        key=lambda c: (c not in labels, list(labels).index(c) if c in labels else 0, c),
    )
    condition_options = [{"value": c, "label": labels.get(c, c)} for c in used]
    if any(not claim.conditions for claim in inputs.claims):
        condition_options.append({"value": GENERAL, "label": "General (no single condition)"})
    titles = inputs.document_titles
    studies = inputs.curated.studies
    conditions = []
    for c in inputs.definitions.conditions:
        mine = studies[studies["condition_id"] == c.id]
        conditions.append(
            {
                "id": c.id,
                "label": c.label,
                "included": int((mine["decision"] == "include").sum()),
                "excluded": int((mine["decision"] == "exclude").sum()),
                "questions": int((inputs.questions["condition_id"] == c.id).sum()),
            }
        )
    return {
        "title": "Claims about dry needling, checked against the evidence",
        "groups": groups,
        "n_claims": len(rows),
        "problems": sum(r["verdict"] in NEEDS_REWORDING for r in rows),
        "reword": sorted(
            (r for r in rows if r["verdict"] in NEEDS_REWORDING), key=lambda r: (_claim_order(r["verdict"]), r["id"])
        ),
        "serve_command": SERVE_COMMAND,
        "verdict_counts": [{"verdict": v, "n": counts[v]} for v in VERDICTS if counts[v]],
        "verdict_options": [v for v in VERDICTS if counts[v]],
        "condition_options": condition_options,
        "type_options": [{"value": g["type"], "label": g["heading"]} for g in groups],
        "document_options": [{"value": d, "label": titles[d]} for d in inputs.documents],
        "map": _evidence_map(inputs),
        "conditions": conditions,
        "notebooks": notebooks,
        "exports": {"all": exports.reference_counts(inputs.curated, pubmed_authors=inputs.pubmed_authors)},
        "snapshot": _snapshot_line(inputs),
        "document_pages": [
            {
                "title": titles[d],
                "href": document_href(d),
                "to_change": sum(p["must_change"] for p in inputs.places_by_document.get(d, [])),
            }
            for d in inputs.documents
        ],
    }


def _snapshot_line(inputs: ReportInputs) -> str:
    log = inputs.snapshot.log
    if log.empty:
        return "No PubMed search has been run into this snapshot yet; the tables come from the curated data alone."
    return f"PubMed snapshot: latest search {max(log['date'])}, {len(inputs.snapshot.records)} record(s) stored."


def _study_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    studies = inputs.curated.studies
    mine = studies[studies["condition_id"] == condition_id]
    mine = mine.assign(_d=mine["decision"].map({"include": 0, "exclude": 1}))
    mine = mine.sort_values(["_d", "first_author", "year", "study_id"], kind="mergesort")
    retracted = inputs.snapshot.retracted
    outcomes = inputs.curated.outcomes
    located = outcomes[outcomes["study_id"].isin(mine["study_id"])].groupby("study_id")["source_location"]
    data_from = {study: _places(places) for study, places in located}
    return [
        {
            "id": r["study_id"],
            "data_from": data_from.get(r["study_id"], ""),
            "cite": _cite(r),
            "title": r["title"],
            "journal": r["journal"],
            "design": r["design"].replace("_", " "),
            "n": r["n_randomised"] or NOT_REPORTED,
            "comparator_type": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
            "intervention": r["intervention"],
            "comparator": r["comparator"],
            "decision": r["decision"],
            "reason": r["exclusion_reason"],
            "links": _links(r["pmid"], r["doi"]),
            "retracted": r["retracted"] == "true" or (bool(r["pmid"]) and r["pmid"] in retracted),
            "technique": r["technique"],
            "applicability": _study_labels(r),
        }
        for r in mine.to_dict("records")
    ]


def _places(locations: Iterable[str]) -> str:
    """Where in a source its numbers stand (``source_location`` of its rows), each place once, in order."""
    return "; ".join(dict.fromkeys(x.strip() for x in locations if x.strip()))


def _study_labels(row: Mapping[str, str]) -> list[str]:
    """The applicability of a study as labels: technique, a co-intervention of the needling arm only,
    a named sub-condition, and a publication status other than peer reviewed."""
    labels = [APPLICABILITY_LABELS.get(row["technique"], row["technique"])] if row["technique"] else []
    if row["co_intervention"]:
        labels.append(f"with {row['co_intervention']} (needling arm only)")
    if row["subcondition"]:
        labels.append(SUBCONDITION_LABELS.get(row["subcondition"], row["subcondition"]))
    if row["publication_status"] and row["publication_status"] != "peer_reviewed":
        labels.append(APPLICABILITY_LABELS.get(row["publication_status"], row["publication_status"]))
    return labels


def _options(values: Iterable[str]) -> list[dict[str, str]]:
    """Filter options for the applicability values present, with their labels, in a stable order."""
    return [{"value": v, "label": APPLICABILITY_LABELS.get(v, v)} for v in sorted(set(values) - {""})]


def _question_rows(inputs: ReportInputs, condition_id: str) -> tuple[list[dict], list[dict]]:
    """(questions with data, questions without usable data) of a condition, in natural order (a
    funnel plot is shown when one was drawn)."""
    q = inputs.questions[inputs.questions["condition_id"] == condition_id]
    cert = inputs.certainty_by_question
    with_data, without = [], []
    for r in sorted(q.to_dict("records"), key=lambda r: QuestionId.parse(r["question_id"]).sort_key):
        question = QuestionId.parse(r["question_id"])
        qid, funnel = str(question), question.figure_name("funnel")
        base = {
            "id": qid,
            "anchor": question.anchor,
            "label": question.label,
            "not_used": split_reasons(r["not_used"]),
            "gaps": split_reasons(r.get("trial_gaps", "")),
        }
        if cell_number(r["k"]) <= 0:
            without.append(base)
            continue
        c = cert.get(qid, {})
        k = int(cell_number(r["k"]))
        effect = effect_text(r["measure"], fmt(r["estimate"]), fmt(r["ci_low"]), fmt(r["ci_high"]), r["scale"])
        participants = f"{r['n_participants']} participants" if r["n_participants"] else f"participants {NOT_REPORTED}"
        details = [f"{_studies(k)}, {participants}"]
        if r["effect_class"]:
            details.append(f"effect size: {r['effect_class']}")
        with_data.append(
            {
                **base,
                "effect": effect,
                "details": "; ".join(details),
                "pooling": _pooling(r, k),
                "forest": _forest_rows(inputs, qid),
                "studies": split_list(r["study_ids"]),
                "certainty": c.get("final", ""),
                "suggested": c.get("suggested", ""),
                "override_reason": c.get("override_reason", ""),
                "grade_reasons": split_reasons(c.get("reasons", "")),
                "figure": "figures/" + question.figure_name(),
                "funnel": f"figures/{funnel}" if (inputs.figures / funnel).exists() else "",
            }
        )
    return with_data, without


def _pooling(question: Mapping[str, str], k: int) -> list[dict[str, str]]:
    """The pooled result's statistics as (name, value) rows: method, tau\u00b2, I\u00b2, prediction interval; for a
    single study, why there is no pooling."""
    if k < 2:
        return [{"name": "Pooling", "value": "none: a single study, shown as it was reported (no diamond)"}]
    pi = (
        f"{fmt(question['pi_low'])} to {fmt(question['pi_high'])}"
        if k >= 3 and fmt(question["pi_low"])
        else "not estimable with fewer than 3 studies"
    )
    return [
        {"name": "Pooling", "value": f"random effects ({question['method']}), {_studies(k)}"},
        {"name": "\u03c4\u00b2 (between-study variance)", "value": fmt(question["tau2"], 3) or NOT_REPORTED},
        {
            "name": "I\u00b2 (share of variation from heterogeneity)",
            "value": f"{fmt(question['i2'], 0)}%" if fmt(question["i2"]) else NOT_REPORTED,
        },
        {"name": "95% prediction interval", "value": pi},
    ]


def _forest_rows(inputs: ReportInputs, question_id: str) -> list[dict[str, str]]:
    """The studies of a forest plot as numbers: estimate, 95% CI and weight (forest.csv as written)."""
    f = inputs.forest
    return [
        {
            "study_id": r["study_id"],
            "estimate": fmt(r["yi"]),
            "ci": f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])}",
            "weight": f"{fmt(r['weight'], 1)}%",
        }
        for r in f[f["question_id"] == question_id].to_dict("records")
    ]


def _sof_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    s = inputs.summary[inputs.summary["condition_id"] == condition_id]
    rows = sorted(s.to_dict("records"), key=lambda r: QuestionId.parse(r["question_id"]).sort_key)
    return [
        {
            "anchor": QuestionId.parse(r["question_id"]).anchor,
            "outcome": OUTCOME_LABELS.get(r["outcome_domain"], r["outcome_domain"]),
            "comparator": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
            "window": WINDOW_PHRASES.get(r["window"], r["window"]),
            "k": r["k"],
            "n": r["n_participants"],
            "effect": r["effect"],
            "certainty": r["certainty"],
            "suggested": r["suggested_certainty"],
            "statement": r["statement"],
        }
        for r in rows
    ]


def _review_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    f = inputs.curated.review_findings
    reviews = inputs.review_by_id
    mine = f[f["condition_id"] == condition_id].to_dict("records")
    mine.sort(
        key=lambda r: (
            r["review_id"],
            order_of(r["outcome_domain"], DOMAINS),
            order_of(r["comparator_type"], (*COMPARATORS, ANY)),
            order_of(r["window"], (*WINDOWS, ANY)),
        )
    )
    rows = []
    for r in mine:
        rev = reviews.get(r["review_id"], {})
        effect = effect_text(r["effect_measure"], r["effect"], r["ci_low"], r["ci_high"], r["scale"])
        size = ", ".join(
            x
            for x in (
                f"{r['n_trials']} trials" if r["n_trials"] else "",
                f"{r['n_participants']} participants" if r["n_participants"] else "",
            )
            if x
        )
        rows.append(
            {
                "review_id": r["review_id"],
                "cite": _cite(rev) or r["review_id"],
                "title": rev.get("title", ""),
                "links": _links(rev.get("pmid", ""), rev.get("doi", "")),
                "outcome": OUTCOME_LABELS.get(r["outcome_domain"], r["outcome_domain"]),
                "comparator": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
                "window": WINDOW_PHRASES.get(r["window"], r["window"]) or "any time",
                "size": size,
                "effect": effect,
                "i2": f"{r['i2']}%" if r["i2"] else "",
                "certainty": r["certainty"],
                "certainty_high": r["certainty_high"],
                "conclusion": r["conclusion"],
                "where": r["source_location"],
                "intervention_scope": r["intervention_scope"],
                "applicability": [
                    APPLICABILITY_LABELS.get(v, v) for v in (r["intervention_scope"],) if v and v != "dn_only"
                ]
                + (
                    [f"population: {APPLICABILITY_LABELS.get(r['population_scope'], r['population_scope'])}"]
                    if r["population_scope"] and r["population_scope"] != "condition"
                    else []
                ),
            }
        )
    return rows


def _rob_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    studies = inputs.curated.studies
    included = studies[(studies["condition_id"] == condition_id) & (studies["decision"] == "include")]
    rob = {r["study_id"]: r for r in inputs.curated.risk_of_bias.to_dict("records")}
    rows = []
    for s in sorted(included.to_dict("records"), key=lambda r: (r["first_author"], r["year"], r["study_id"])):
        r = rob.get(s["study_id"])
        domains = [
            r[d] if r else ""
            for d in ("d1_randomisation", "d2_deviations", "d3_missing_data", "d4_measurement", "d5_reporting")
        ]
        rows.append(
            {
                "id": s["study_id"],
                "cite": _cite(s),
                "assessed": r is not None,
                "tool": r["tool"] if r else "",
                "overall": r["overall"] if r else "",
                "domains": domains,
                "pedro": (r["pedro_score"] or "not scored") if r else "",
                "source": r["source"] if r else "",
                "category": rob_category(pd.Series(r) if r else None),
            }
        )
    return rows


def _coverage(inputs: ReportInputs, condition_id: str) -> dict[str, str]:
    """The curators' coverage row of a condition (coverage.csv: status, what was searched, note)."""
    coverage = inputs.curated.tables.get("coverage")
    if coverage is None:
        return {}
    rows = coverage[coverage["condition_id"] == condition_id].to_dict("records")
    return rows[0] if rows else {}


def _sensitivity_rows(inputs: ReportInputs, condition_id: str) -> tuple[list[dict], list[dict]]:
    """Leave-one-out re-poolings and subgroup differences by comparator for one condition."""
    of_condition = [QuestionId.parse(q).condition == condition_id for q in inputs.sensitivity["question_id"]]
    loo = inputs.sensitivity[of_condition]
    sub = inputs.subgroups[inputs.subgroups["condition_id"] == condition_id]
    measures = {r["question_id"]: (r["measure"], r["scale"]) for r in inputs.questions.to_dict("records")}
    leave_one_out = [
        {
            "question": QuestionId.parse(r["question_id"]).label,
            "left_out": r["left_out"],
            "effect": effect_text(
                measures[r["question_id"]][0],
                fmt(r["estimate"]),
                fmt(r["ci_low"]),
                fmt(r["ci_high"]),
                measures[r["question_id"]][1],
            ),
            "i2": fmt(r["i2"], 0) or NOT_REPORTED,
        }
        for r in loo.to_dict("records")
    ]
    subgroups = [
        {
            "outcome": OUTCOME_LABELS.get(r["outcome_domain"], r["outcome_domain"]),
            "window": WINDOW_PHRASES.get(r["window"], r["window"]),
            "measure": f"{r['measure']} ({r['scale']})" if r["scale"] else r["measure"],
            "comparators": r["comparators"],
            "test": f"Q = {fmt(r['q_between'])}, df = {r['df']}, p = {fmt(r['p'], 3)}",
        }
        for r in sub.to_dict("records")
    ]
    return leave_one_out, subgroups


REGISTRY_FINDINGS = {
    "published": "published (a study in this tracker, or a result publication the record links)",
    "results_posted": "results posted on the registry",
    "unreported": "completed 2+ years ago, no results found",
    "completed_recently": "completed less than 2 years ago",
    "completed_undated": "completed, date not shown",
    "ongoing": "ongoing",
    "other": "status unknown, stopped or not shown",
}


#: a registration's own record on ClinicalTrials.gov (what the panel links an NCT number to; where the
#: project read it, often a copy on another site, is shown beside it)
CTGOV_RECORD = "https://clinicaltrials.gov/study/{nct_id}"


def _registry_panel(inputs: ReportInputs, condition_id: str) -> dict | None:
    """The registry panel of a condition page (templates/registry_panel.html.j2): the counts of the
    cross-check's summary and its registrations, unreported first; None when the build has none."""
    summary, table = inputs.registry_summary, inputs.registry
    if summary is None or table is None:
        return None
    counts = summary[summary["condition_id"] == condition_id].to_dict("records")
    if not counts:
        return {"counts": None, "rows": []}
    mine = table if condition_id == "all_dry_needling" else table[table["condition_id"] == condition_id]
    mine = mine.drop_duplicates("nct_id")
    order = {k: i for i, k in enumerate(REGISTRY_FINDINGS)}
    rows = sorted(mine.to_dict("records"), key=lambda r: (order[r["finding"]], r["nct_id"]))
    for r in rows:
        r["finding_text"] = REGISTRY_FINDINGS[r["finding"]]
        r["record_href"] = CTGOV_RECORD.format(nct_id=r["nct_id"])
        seen = [u.strip() for u in r["source_url"].split(";") if u.strip()]
        r["seen_href"], r["seen_more"] = (seen[0], len(seen) - 1) if seen else ("", 0)
        r["seen_at"] = urlsplit(r["seen_href"]).netloc.removeprefix("www.")
    return {"counts": counts[0], "rows": rows}


def _condition_context(inputs: ReportInputs, condition_id: str) -> dict:
    condition = inputs.definitions.condition(condition_id)
    studies = _study_rows(inputs, condition_id)
    with_data, without = _question_rows(inputs, condition_id)
    loo, subgroups = _sensitivity_rows(inputs, condition_id)
    verdicts = inputs.verdict_by_claim
    claims = [
        {"id": c.id, "statement": c.statement, "verdict": verdicts.get(c.id, {}).get("verdict", "not_built")}
        for c in inputs.claims
        if condition_id in c.conditions
    ]
    flow = inputs.prisma.set_index("condition_id").loc[condition_id]
    counts = exports.reference_counts(inputs.curated, condition_id, inputs.pubmed_authors)
    reviews = _review_rows(inputs, condition_id)
    return {
        "title": f"{condition.label}: trials, pooled results and reviews",
        "condition": condition,
        "coverage": _coverage(inputs, condition_id),
        "prisma": {
            "src": f"../prisma/{prisma_name(condition_id)}",
            "searched": bool(flow["searched"]),
            **{k: int(flow[k]) for k in PRISMA_COLUMNS if k not in ("condition_id", "searched")},
        },
        "exports": {"name": condition_id, **counts} if counts["studies"] + counts["reviews"] else None,
        "included": [s for s in studies if s["decision"] == "include"],
        "excluded": [s for s in studies if s["decision"] == "exclude"],
        "questions": with_data,
        "no_data": without,
        "sof": _sof_rows(inputs, condition_id),
        "reviews": reviews,
        "rob": _rob_rows(inputs, condition_id),
        "claims": claims,
        "technique_options": _options(s["technique"] for s in studies if s["decision"] == "include"),
        "scope_options": _options(r["intervention_scope"] for r in reviews),
        "leave_one_out": loo,
        "subgroups": subgroups,
        "registry": _registry_panel(inputs, condition_id),
    }


def _evidence_item(inputs: ReportInputs, ref: str, labels: dict[str, str]) -> dict:
    """One evidence id of a verdict as {text, href, detail}: a question (condition:domain:comparator:
    window) or a review finding (review_id:question) links to its condition page; a safety or
    mechanism row is listed with what it says."""
    try:
        question = QuestionId.parse(ref)
        if question.condition in labels:
            return {
                "text": f"{labels[question.condition]}: {question.label}",
                "kind": "evidence question (this tracker)",
                "id": ref,
                "href": f"../conditions/{question.condition}.html#{question.anchor}",
                "detail": "",
            }
    except ValueError:
        pass
    try:
        review_id, question = parse_review_finding_id(ref)
    except ValueError:
        review_id = ""
    if review_id:
        review = inputs.review_by_id.get(review_id)
        label = (
            f"{_cite(review) if review else review_id}, {labels.get(question.condition, question.condition)}: "
            f"{question.label}"
        )
        href = f"../conditions/{question.condition}.html#reviews" if question.condition in labels else ""
        return {"text": label, "kind": "published review finding", "id": ref, "href": href, "detail": ""}
    safety = inputs.curated.safety
    row = safety[safety["safety_id"] == ref].to_dict("records")
    if row:
        r = row[0]
        unit = r["denominator_unit"].replace("_", " ")
        if r["events"] and r["denominator"]:
            count = f"{r['events']} of {r['denominator']} {unit}"
        elif r["events"]:
            count = f"{r['events']} events (number of {unit} not reported)"
        else:
            count = f"number of events not reported (a rate per {unit.rstrip('s')})"
        rate = f", {r['rate_percent']}%" if r["rate_percent"] else ""
        return {
            "text": ref,
            "kind": "safety data",
            "id": ref,
            "href": "",
            "detail": f"{r['event_type'].replace('_', ' ')} ({r['severity']}): {count}{rate}; source {r['source_id']}",
        }
    mech = inputs.curated.mechanisms
    row = mech[mech["mechanism_id"] == ref].to_dict("records")
    if row:
        r = row[0]
        return {
            "text": ref,
            "kind": "mechanism study",
            "id": ref,
            "href": "",
            "detail": f"{r['population'].replace('_', ' ')}, {r['direction'].replace('_', ' ')}: {r['finding']}",
        }
    return {"text": ref, "kind": "", "id": ref, "href": "", "detail": ""}


def _profile_rows(inputs: ReportInputs, claim_id: str) -> list[dict]:
    """The claim's evidence profile (claim_evidence.csv as written) as table rows with formatted numbers."""
    table = inputs.claim_evidence
    if table is None or table.empty:
        return []
    rows = []
    for r in table[table["claim_id"] == claim_id].to_dict("records"):
        estimate = fmt(r["estimate"])
        ci = f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])}" if fmt(r["ci_low"]) else ""
        k, n = fmt(r["k"], 0), fmt(r["n_participants"], 0)
        rows.append(
            {
                **r,
                "comparator": r["comparator_label"],
                "window_label": WINDOW_PHRASES.get(r["window"], r["window"]) or "pooled over follow-ups",
                "outcome_label": ", ".join(
                    x for x in (OUTCOME_LABELS.get(r["outcome_domain"], r["outcome_domain"]), r["scale"]) if x
                ),
                "estimate_text": f"{r['measure']} {estimate}".strip() if estimate else "not reported",
                "ci_text": ci or "not reported",
                "k_text": k or "not reported",
                "n_text": n or "not reported",
                "size_text": (r["size"] or "not judged (no MID for its scale)") if ci else "narrative finding",
            }
        )
    return rows


def _withdrawn_rows(inputs: ReportInputs, claim: Any) -> list[dict]:
    """Studies taken out of the analysis that had been used for this claim's conditions."""
    table = inputs.withdrawn
    if table is None or table.empty:
        return []
    mine = table[table["condition_id"].isin(claim.conditions)]
    return [
        {"study_id": r["study_id"], "reason": r["reason"], "used_in": split_list(r["used_in"])}
        for r in mine.to_dict("records")
    ]


def _deciding_ids(verdict: Mapping[str, str]) -> list[str]:
    """The evidence ids a verdict's reason names as deciding (``deciding evidence: <id>``), else all of its
    evidence ids."""
    named = re.findall(r"deciding evidence: (\S+)", verdict.get("reason", ""))
    return named or split_list(verdict.get("evidence_ids", ""))


def _study_link(inputs: ReportInputs, study_id: str, root: str = "../") -> dict[str, str]:
    """A study as {text, href}: "First author year" linked to its row on its condition page (``root``: the
    way from the page to the report folder)."""
    r = inputs.study_by_id.get(study_id)
    if r is None:
        return {"text": study_id, "href": ""}
    return {"text": _cite(r) or study_id, "href": f"{root}conditions/{r['condition_id']}.html#study-{study_id}"}


def _review_trials(inputs: ReportInputs, review_id: str) -> dict[str, Any]:
    """The trials a review includes: its own list where we read one (review_trials.csv: every trial as the
    review cites it, linked to our record when we hold it, with where the list stands), else the trials we
    hold that the curated data tie to it (risk-of-bias ratings taken from the review's tables, or trial
    numbers read in it: ``source_location`` names the review)."""
    listed = inputs.curated.review_trials
    listed = listed[listed["review_id"] == review_id]
    if not listed.empty:
        trials = [
            _study_link(inputs, r["study_id"]) | {"text": r["trial"]}
            if r["study_id"]
            else {"text": r["trial"], "href": ""}
            for r in listed.to_dict("records")
        ]
        return {"listed": True, "trials": trials, "sources": sorted(set(listed["source_location"]))}
    rob = inputs.curated.risk_of_bias
    studies = inputs.curated.studies
    ids = set(rob.loc[rob["source"] == review_id, "study_id"])
    ids |= set(studies.loc[studies["source_location"].str.contains(review_id, regex=False), "study_id"])
    return {"listed": False, "trials": [_study_link(inputs, i) for i in sorted(ids)], "sources": []}


def _deciding(inputs: ReportInputs, verdict: Mapping[str, str], labels: dict[str, str]) -> list[dict]:
    """The evidence that decided a verdict, each with the studies behind it: a question's studies (forest
    rows), or a review with the trials we hold that it includes, and the trials of that condition we hold."""
    out = []
    for ref in _deciding_ids(verdict):
        item = _evidence_item(inputs, ref, labels)
        try:
            question = QuestionId.parse(ref)
            studies = [
                _study_link(inputs, s) for s in inputs.forest.loc[inputs.forest["question_id"] == ref, "study_id"]
            ]
            item = {**item, "studies": studies, "review_trials": None, "condition": question.condition}
        except ValueError:
            try:
                review_id, question = parse_review_finding_id(ref)
            except ValueError:
                out.append({**item, "studies": [], "review_trials": None, "condition": ""})
                continue
            held = inputs.curated.studies
            held = held[(held["condition_id"] == question.condition) & (held["decision"] == "include")]
            item = {
                **item,
                "studies": [_study_link(inputs, s) for s in sorted(held["study_id"])],
                "review_trials": _review_trials(inputs, review_id),
                "condition": question.condition,
            }
        out.append(item)
    return out


EVIDENCE_ID = re.compile(r"\b\w+(?::\w+){3,4}\b")  # a question id, or a review finding id


def in_words(inputs: ReportInputs, text: str) -> str:
    """``text`` (a verdict's reason) with each question or review finding id replaced by its label."""
    labels = inputs.condition_labels
    return EVIDENCE_ID.sub(lambda m: _evidence_item(inputs, m.group(0), labels)["text"], text)


def document_href(document: str, root: str = "") -> str:
    """The report-relative link of a patient document's page."""
    return f"{root}documents/{Path(document).stem}.html"


# a per-claim link's kind in words, as the claim page names it
LINK_KINDS = {"reviews": "review", "safety": "safety count", "mechanisms": "mechanism study"}


def _claim_context(inputs: ReportInputs, claim: Any) -> dict:
    v = inputs.verdict_by_claim.get(claim.id, {})
    known = set(inputs.definitions.ids)
    labels = {c.id: c.label for c in inputs.definitions.conditions}
    reviews = inputs.review_by_id
    titles = inputs.document_titles
    linked = [
        {
            "kind": LINK_KINDS[s.link.kind],
            "cite": s.cite or s.source_id or s.link.ref,
            "title": reviews.get(s.link.ref, {}).get("title", "") if s.link.kind == "reviews" else "",
            "reason": s.link.reason,
            "tested": s.link.tested,
            "links": _links(s.pmid, s.doi),
            "where": s.location,
        }
        for s in inputs.link_sources_by_claim[claim.id]
    ]
    verdict = v.get("verdict", "not_built")
    profile = _profile_rows(inputs, claim.id)
    for row in profile:  # the source in words, linked to the evidence
        review = reviews.get(row["source"])
        row["evidence_label"] = f"{_cite(review)} (review)" if review else row["source"]
        row["evidence_href"] = _evidence_item(inputs, row["evidence_id"], labels)["href"]
    return {
        "title": f"Claim: {claim.statement}",
        "claim": claim,
        "verdict": verdict,
        "answer": ANSWERS.get(verdict, ANSWERS["not_built"]),
        "certainty": v.get("certainty", ""),
        "effect": v.get("effect", ""),
        "reason": in_words(inputs, v.get("reason", "")),
        "override_reason": v.get("override_reason", ""),
        "wording": v.get("allowed_wording", ""),
        "conditions": [{"id": c, "label": labels.get(c, c), "linked": c in known} for c in claim.conditions],
        "deciding": _deciding(inputs, v, labels),
        "evidence": [_evidence_item(inputs, ref, labels) for ref in split_list(v.get("evidence_ids", ""))],
        "linked": linked,
        "rule": v.get("rule", ""),
        "profile": profile,
        "withdrawn": _withdrawn_rows(inputs, claim),
        "occurrences": sorted(
            (
                {
                    "document": o.document,
                    "title": titles.get(o.document, o.document),
                    "href": document_href(o.document, "../"),
                    "locator": o.locator,
                }
                for o in claim.occurrences
            ),
            key=lambda o: (o["title"], o["document"], o["locator"]),
        ),
    }


def _record_rows(inputs: ReportInputs, pmids: Iterable[str]) -> list[dict]:
    records = inputs.record_by_pmid
    rows = []
    for pmid in sorted(set(pmids), key=lambda p: (len(p), p)):
        r = records.get(pmid, {})
        rows.append(
            {
                "pmid": pmid,
                "href": pubmed_url(pmid),
                "year": r.get("year", ""),
                "cite": r.get("first_author", ""),
                "title": r.get("title", "(record not stored)"),
                "retracted": r.get("retracted") == "true",
            }
        )
    return rows


def verdict_changes(current: pd.DataFrame, previous: pd.DataFrame | None) -> list[dict[str, str]] | None:
    """Claims whose verdict differs from the previous build (new and removed claims included);
    None when there is no previous build."""
    if previous is None:
        return None
    old = dict(zip(previous.get("claim_id", []), previous.get("verdict", [])))
    new = dict(zip(current["claim_id"], current["verdict"]))
    changes = []
    for cid in sorted(set(old) | set(new)):
        before, after = old.get(cid, "(not registered)"), new.get(cid, "(removed)")
        if before != after:
            changes.append({"claim_id": cid, "before": before, "after": after, "exists": cid in new})
    return changes


def _new_by_condition(inputs: ReportInputs) -> list[dict]:
    """New records per condition in its searches' latest runs (``status.new_by_condition``), labelled."""
    labels = {c.id: c.label for c in inputs.definitions.conditions}
    return [
        {**r, "label": labels.get(r["condition_id"], r["condition_id"])}
        for r in new_by_condition(inputs.snapshot).to_dict("records")
    ]


def _provenance_context(inputs: ReportInputs) -> dict:
    d = inputs.definitions
    hits = inputs.snapshot.hits
    searches = [{"id": c.id, "label": c.label, "query": d.query(c.id)} for c in d.conditions]
    log = inputs.snapshot.log.to_dict("records")
    runs = last_runs(inputs.snapshot.log)
    new_records = [
        {
            "search_id": r["search_id"],
            "date": r["date"],
            "n": r["new_pmids_n"],
            "records": _record_rows(inputs, split_list(r["new_pmids"])),
        }
        for r in runs.to_dict("records")
        if split_list(r["new_pmids"])
    ]
    sens = search_sensitivity(hits, inputs.curated.studies)
    sens = sens.sort_values(["condition_id", "study_id"], kind="mergesort")
    studies = inputs.curated.studies
    retracted = []
    for r in _record_rows(inputs, inputs.snapshot.retracted):
        used = studies.loc[studies["pmid"] == r["pmid"], ["study_id", "condition_id", "decision"]]
        retracted.append(
            {**r, "studies": [f"{s.study_id} ({s.condition_id}, {s.decision})" for s in used.itertuples()]}
        )
    return {
        "title": "Provenance: searches, search log and retractions",
        "searches": searches,
        "dry_needling_block": d.dry_needling_block,
        "rct_filter": d.rct_filter,
        "log": log,
        "how_to_search": HOW_TO_SEARCH,
        "sensitivity": sens.to_dict("records"),
        "sensitivity_counts": {k: int((sens["retrieved"] == k).sum()) for k in ("yes", "no", "not searched")},
        "unscreened": _record_rows(inputs, unscreened(hits, inputs.curated.studies)),
        "new_records": new_records,
        "new_by_condition": _new_by_condition(inputs),
        "retracted": retracted,
        "changes": verdict_changes(inputs.verdicts, inputs.previous_verdicts),
        "n_records": len(inputs.snapshot.records),
    }


def _document_places(inputs: ReportInputs) -> dict[str, list[dict]]:
    """Patient document -> the places the claims register quotes from it (its occurrences' locators), each
    once with every claim made there: the claim's verdict and certainty, whether it must change (its verdict
    needs rewording), why (the plain-language answer) and the wording the evidence allows. Places with a
    claim that must change come first, then by locator. One pass over the register for every document."""
    verdicts = inputs.verdict_by_claim
    by_document: dict[str, dict[str, list[dict]]] = {}
    for claim in inputs.claims:
        for o in claim.occurrences:
            places = by_document.setdefault(o.document, {})
            if any(c["id"] == claim.id for c in places.get(o.locator, [])):
                continue
            v = verdicts.get(claim.id, {})
            verdict = v.get("verdict", "not_built")
            places.setdefault(o.locator, []).append(
                {
                    "id": claim.id,
                    "statement": claim.statement,
                    "verdict": verdict,
                    "certainty": v.get("certainty", ""),
                    "must_change": verdict in NEEDS_REWORDING,
                    "why": ANSWERS.get(verdict, ANSWERS["not_built"]),
                    "wording": v.get("allowed_wording", ""),
                }
            )
    return {document: _sorted_places(places) for document, places in by_document.items()}


def _sorted_places(places: dict[str, list[dict]]) -> list[dict]:
    rows = [
        {"locator": locator, "claims": claims, "must_change": any(c["must_change"] for c in claims)}
        for locator, claims in places.items()
    ]
    for row in rows:
        row["claims"].sort(key=lambda c: (not c["must_change"], c["id"]))
    return sorted(rows, key=lambda r: (not r["must_change"], r["locator"].casefold(), r["locator"]))


def check_command(name: str) -> str:
    """The one command that shows every sentence of a patient document with its flags (the wording checker's
    HTML output), run from the project folder on the copy beside the project."""
    materials = Path(os.path.relpath(DEFAULT_MATERIALS_DIR, PROJECT_ROOT)).as_posix()
    return f"python -m evidence check-wording {materials}/{name} --format html --output {Path(name).stem}.html"


def _document_context(inputs: ReportInputs, name: str, neighbours: tuple[str, str]) -> dict:
    """One patient document as the claims register sees it, from ``documents.csv`` and ``claims.yaml`` only
    (the document's own text is never part of the report): the places that must change, each once with every
    claim made there, then the places worded within the evidence; the command that shows the whole text
    with every sentence flagged; links to the claim pages and to the previous and next document."""
    titles = inputs.document_titles
    places = inputs.places_by_document.get(name, [])
    row = inputs.curated.documents.set_index("document").loc[name].to_dict()
    return {
        "title": f"Patient document: {titles[name]}",
        "heading": titles[name],
        "name": name,
        "row": row,
        "to_change": [p for p in places if p["must_change"]],
        "fine": [p for p in places if not p["must_change"]],
        "check_command": check_command(name),
        "serve_command": SERVE_COMMAND,
        "previous": {"title": titles[neighbours[0]], "href": document_href(neighbours[0], "../")}
        if neighbours[0]
        else None,
        "next": {"title": titles[neighbours[1]], "href": document_href(neighbours[1], "../")}
        if neighbours[1]
        else None,
    }


def _changes_context(inputs: ReportInputs) -> dict:
    """The change log, newest update first: per date, the searches run, the verdicts that changed and why,
    and the studies withdrawn."""
    log = inputs.change_log if inputs.change_log is not None else pd.DataFrame(columns=["date"])
    claims = {c.id for c in inputs.claims}
    labels = inputs.condition_labels
    updates = []
    for date in sorted(set(log["date"]), reverse=True):
        rows = log[log["date"] == date].to_dict("records")
        updates.append(
            {
                "date": date,
                "started": [r for r in rows if r["kind"] == "started"],
                "searches": [
                    {**r, "label": labels.get(condition_of(r["subject"]), r["subject"])}
                    for r in rows
                    if r["kind"] == "search"
                ],
                "verdicts": [
                    {**r, "why": in_words(inputs, r["why"]), "linked": r["subject"] in claims}
                    for r in rows
                    if r["kind"] == "verdict"
                ],
                "withdrawn": [
                    {**r, "link": _study_link(inputs, r["subject"], "")} for r in rows if r["kind"] == "withdrawn"
                ],
            }
        )
    return {"title": "What changed, update by update", "updates": updates}


def _excluded_context(inputs: ReportInputs) -> dict:
    """Every excluded study of every condition with its reason, on one page."""
    rows = []
    for c in inputs.definitions.conditions:
        rows += [{**s, "condition": c} for s in _study_rows(inputs, c.id) if s["decision"] == "exclude"]
    return {"title": "Excluded trials and why", "studies": rows}


def last_search(inputs: ReportInputs) -> str:
    """The date of the last search, for the top of every page: the newest PubMed run in the search log, else
    the newest month the curators' searches (coverage.csv) name."""
    log = inputs.snapshot.log
    if not log.empty:
        return f"Last search: {max(log['date'])} (PubMed)"
    coverage = inputs.curated.tables.get("coverage")
    dates = (
        sorted(re.findall(r"\b\d{4}-\d{2}(?:-\d{2})?\b", " ".join(coverage["searched"])))
        if coverage is not None
        else []
    )
    if dates:
        return f"Last search: {dates[-1]} (the curators' searches; no PubMed search run into the snapshot yet)"
    return "No search has been run yet"


# ----------------------------------------------------------------------------- rendering


def prisma_name(condition_id: str) -> str:
    """File name of a condition's PRISMA 2020 diagram in ``report/prisma/``."""
    return f"prisma_{condition_id}.svg"


def prisma_files(inputs: ReportInputs) -> dict[str, str]:
    """The PRISMA 2020 diagram of every condition as {path relative to the report folder: SVG}."""
    out = {}
    for row in inputs.prisma.to_dict("records"):
        cid = row["condition_id"]
        reasons = exclusion_reasons(inputs.curated.studies, cid)["exclusion_reason"]
        out[f"prisma/{prisma_name(cid)}"] = prisma.flow_svg(row, reasons, inputs.condition_labels[cid])
    return out


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    env.globals.update(version=__version__, levels=LEVELS)
    return env


def notebook_links(report_dir: Path) -> list[dict[str, str]]:
    """The notebooks of the project, each with the report-relative link of its HTML export if it exists."""
    out = []
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        html = report_dir / "notebooks" / f"{nb.stem}.html"
        out.append({"name": nb.stem, "href": f"notebooks/{nb.stem}.html" if html.exists() else ""})
    return out


def render_pages(inputs: ReportInputs, report_dir: Path) -> dict[str, str]:
    """Every page of the report as {path relative to the report folder: HTML}."""
    env = _environment()

    searched = last_search(inputs)

    def page(template: str, root: str, context: dict) -> str:
        return env.get_template(template).render(root=root, last_search=searched, **context)

    pages = {
        "index.html": page("index.html.j2", "", _index_context(inputs, notebook_links(report_dir))),
        "provenance.html": page("provenance.html.j2", "", _provenance_context(inputs)),
        "changes.html": page("changes.html.j2", "", _changes_context(inputs)),
        "excluded.html": page("excluded.html.j2", "", _excluded_context(inputs)),
    }
    for cid in inputs.definitions.ids:
        pages[f"conditions/{cid}.html"] = page("condition.html.j2", "../", _condition_context(inputs, cid))
    for claim in inputs.claims:
        pages[f"claims/{claim.id}.html"] = page("claim.html.j2", "../", _claim_context(inputs, claim))
    documents = inputs.documents
    for i, name in enumerate(documents):
        neighbours = (documents[i - 1] if i else "", documents[i + 1] if i + 1 < len(documents) else "")
        pages[document_href(name)] = page("document.html.j2", "../", _document_context(inputs, name, neighbours))
    return pages


def build_report(inputs: ReportInputs, report_dir: Path) -> Path:
    """Write the static report into ``report_dir`` and return the path of index.html.

    Copies the forest (and funnel) plots into ``report/figures/`` and the stylesheet beside the pages, draws
    the PRISMA diagrams into ``report/prisma/``, writes the reference exports into ``report/exports/``, and
    removes pages and files left over from earlier builds (``report/notebooks/`` is kept).
    """
    pages = render_pages(inputs, report_dir)
    files: dict[str, bytes] = {name: html.encode("utf-8") for name, html in pages.items()}
    files["style.css"] = (TEMPLATES_DIR / "style.css").read_bytes()
    files.update({name: svg.encode("utf-8") for name, svg in prisma_files(inputs).items()})
    files.update(
        {
            f"exports/{name}": text.encode("utf-8")
            for name, text in exports.export_files(
                inputs.curated, inputs.definitions.ids, inputs.pubmed_authors
            ).items()
        }
    )
    for svg in sorted([*inputs.figures.glob("forest_*.svg"), *inputs.figures.glob("funnel_*.svg")]):
        files[f"figures/{svg.name}"] = svg.read_bytes()
    for name, data in files.items():
        target = report_dir / name
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
    for sub in ("conditions", "claims", "figures", "documents", "prisma", "exports"):
        for stale in sorted((report_dir / sub).glob("*")):
            if stale.is_file() and f"{sub}/{stale.name}" not in files:
                stale.unlink()
    return report_dir / "index.html"

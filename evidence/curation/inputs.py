"""Every human-edited input, loaded and validated once per run.

The inputs are the curated tables (``evidence.curation.schema``: their schema, and the two override
files), the search definitions (``searches.yaml``) and the claims register (``claims.yaml``).
``input_problems`` checks them all and reports each problem the same way, as a
:class:`evidence.curation.schema.Problem` (file, row, column, what is wrong); ``load_inputs`` returns
them as one :class:`Inputs` object that the stages below it receive, or raises
:class:`evidence.curation.schema.CurationError` listing every problem. Nothing below reads the curated
files again.

Cross-file rules (beyond each file's own): the evidence ids of each claim exist in the curated
tables; every verdict override names a registered claim; every document a claim occurs in has a
row in ``documents.csv`` (its title), and every row there names such a document (a typo in a file
name is one problem on ``documents.csv``, with the name it most likely meant).

A file that cannot be read is one problem, and the checks that need it are skipped
(``schema.read_tables``); the cross-file rules run only when every input was read without problems.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evidence.config import ConfigError, DataPaths
from evidence.curation.claims import Claim, check_evidence_ids, load_claims
from evidence.curation.schema import (
    Curated,
    CurationError,
    Problem,
    line,
    read_tables,
    table_problems,
)
from evidence.curation.searches import SearchDefinitions, load_search_definitions


@dataclass(frozen=True)
class Inputs:
    """The validated human-edited inputs of one data directory."""

    paths: DataPaths
    curated: Curated
    definitions: SearchDefinitions
    claims: tuple[Claim, ...]

    @property
    def condition_labels(self) -> dict[str, str]:
        """Condition id -> how statements name its population ("in people with <this>")."""
        return {c.id: c.people for c in self.definitions.conditions}


def _yaml_problems(path: Path, error: ConfigError) -> list[Problem]:
    """A YAML loader's error (one line per problem, each starting with the path) as problems."""
    prefix = f"{path}: "
    return [
        Problem(path.name, None, None, text[len(prefix) :] if text.startswith(prefix) else text)
        for text in str(error).splitlines()
        if text.strip()
    ]


def _read(paths: DataPaths) -> tuple[Curated, SearchDefinitions | None, list[Claim], list[Problem]]:
    tables, problems = read_tables(paths.curated)
    problems += table_problems(tables)
    definitions, claims = None, []
    try:
        definitions = load_search_definitions(paths.searches)
    except ConfigError as exc:
        problems += _yaml_problems(paths.searches, exc)
    try:
        claims = load_claims(paths.claims)
    except ConfigError as exc:
        problems += _yaml_problems(paths.claims, exc)
    return Curated(tables), definitions, claims, problems


def cross_file_problems(curated: Curated, claims: list[Claim]) -> list[Problem]:
    problems = [Problem("claims.yaml", None, None, text) for text in check_evidence_ids(claims, curated)]
    known = {c.id for c in claims}
    overrides = curated.verdict_overrides
    problems += [
        Problem("verdict_overrides.csv", line(i), "claim_id", f"unknown claim_id {cid!r}")
        for i, cid in overrides["claim_id"].items()
        if cid and cid not in known
    ]
    return problems + _document_problems(curated.documents, claims)


def _document_problems(documents: pd.DataFrame, claims: list[Claim]) -> list[Problem]:
    """Each document the claims occur in has a row in documents.csv, and each row names such a
    document. One problem per document, on documents.csv (the file to fix): a row whose name is
    close to a missing one (a typo) is one problem with the likely name."""
    cited = Counter(name for claim in claims for name in {o.document for o in claim.occurrences})
    rows = dict(zip(documents["document"], documents.index))
    missing = sorted(set(cited) - set(rows))
    problems = []
    for name, i in rows.items():
        if name in cited:
            continue
        close = difflib.get_close_matches(name, missing, n=1)
        hint = f"; did you mean {close[0]!r} ({cited[close[0]]} claim(s) occur in it)?" if close else ""
        missing = [m for m in missing if m not in close]
        problems.append(
            Problem("documents.csv", line(i), "document", f"{name!r} is a document of no claim in claims.yaml{hint}")
        )
    problems += [
        Problem(
            "documents.csv",
            None,
            "document",
            f"document {name!r} has no row in documents.csv ({cited[name]} claim(s) in claims.yaml occur in it)",
        )
        for name in missing
    ]
    return problems


def input_problems(paths: DataPaths) -> list[Problem]:
    """Every problem in the human-edited inputs of ``paths`` (empty when all are valid)."""
    curated, _, claims, problems = _read(paths)
    if problems:
        return problems
    return cross_file_problems(curated, claims)


def load_inputs(paths: DataPaths) -> Inputs:
    """Read and validate every human-edited input once; ``CurationError`` lists every problem."""
    curated, definitions, claims, problems = _read(paths)
    problems = problems or cross_file_problems(curated, claims)
    if problems or definitions is None:
        raise CurationError(problems)
    return Inputs(paths, curated, definitions, tuple(sorted(claims, key=lambda c: c.id)))

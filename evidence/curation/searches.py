"""PubMed search definitions: one per condition, read from ``data/curated/searches.yaml``.

A query is ``dry-needling block AND condition block AND RCT filter``; the condition block ORs
``"term"[Mesh]`` for each MeSH term and ``"term"[tiab]`` for each free-text term. The RCT filter is
the Cochrane Highly Sensitive Search Strategy, sensitivity-maximizing version, PubMed format
(Cochrane Handbook, box 6.4.a), kept in the YAML file so that the query is reproducible from it.

>>> defs = load_search_definitions(DataPaths(DEFAULT_DATA_DIR).searches)  # doctest: +SKIP
>>> defs.query("neck_pain")  # doctest: +SKIP
'(("Dry Needling"[Mesh] OR ...) AND ("Neck Pain"[Mesh] OR ...) AND (randomized ...'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evidence.config import ConfigError, load_versioned_yaml

SCHEMA_VERSION = 1
UNFILTERED_SUFFIX = ".unfiltered"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    mesh: tuple[str, ...]
    free_text: tuple[str, ...]
    population: str = ""

    @property
    def people(self) -> str:
        """How statements name the population ("people with <people>"): ``population`` when the
        definition gives one, else the label with a lower-case first letter."""
        return self.population or self.label[:1].lower() + self.label[1:]

    def block(self) -> str:
        """The condition's OR-block, or "" for the all-trials search."""
        terms = [f'"{t}"[Mesh]' for t in self.mesh] + [f'"{t}"[tiab]' for t in self.free_text]
        return "(" + " OR ".join(terms) + ")" if terms else ""


@dataclass(frozen=True)
class SearchDefinitions:
    dry_needling_block: str
    rct_filter: str
    conditions: tuple[Condition, ...]

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.conditions]

    def condition(self, condition_id: str) -> Condition:
        for c in self.conditions:
            if c.id == condition_id:
                return c
        raise ConfigError(f"unknown condition id {condition_id!r}; known: {', '.join(self.ids)}")

    def query(self, condition_id: str, rct_filter: bool = True) -> str:
        """The exact PubMed query for one condition."""
        parts = [self.dry_needling_block, self.condition(condition_id).block()]
        if rct_filter:
            parts.append(f"({self.rct_filter})")
        return " AND ".join(p for p in parts if p)


def search_id(condition_id: str, rct_filter: bool = True) -> str:
    """The id under which a search is logged: the condition id, suffixed when unfiltered."""
    return condition_id if rct_filter else condition_id + UNFILTERED_SUFFIX


def condition_of(search: str) -> str:
    """The condition id of a search id."""
    return search.removesuffix(UNFILTERED_SUFFIX)


def _collapse(text: str) -> str:
    return " ".join(str(text).split())


def load_search_definitions(path: Path) -> SearchDefinitions:
    """Read and check the search definitions; a problem raises ConfigError naming the file."""
    raw = load_versioned_yaml(path, SCHEMA_VERSION, "search definitions")
    for key in ("dry_needling_block", "rct_filter", "conditions"):
        if not raw.get(key):
            raise ConfigError(f"{path}: missing {key!r}")
    conditions, seen = [], set()
    for i, entry in enumerate(raw["conditions"], start=1):
        where = f"{path}: condition #{i}"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("label"):
            raise ConfigError(f"{where}: needs an id and a label")
        cid = str(entry["id"])
        if not _ID.match(cid):
            raise ConfigError(f"{where}: id {cid!r} must be lower-case letters, digits and underscores")
        if cid in seen:
            raise ConfigError(f"{where}: duplicate id {cid!r}")
        seen.add(cid)
        mesh, free = entry.get("mesh") or [], entry.get("free_text") or []
        if not isinstance(mesh, list) or not isinstance(free, list):
            raise ConfigError(f"{where} ({cid}): mesh and free_text must be lists")
        conditions.append(
            Condition(
                cid,
                str(entry["label"]),
                tuple(map(str, mesh)),
                tuple(map(str, free)),
                str(entry.get("population") or ""),
            )
        )
    return SearchDefinitions(_collapse(raw["dry_needling_block"]), _collapse(raw["rct_filter"]), tuple(conditions))

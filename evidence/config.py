"""Paths of the data zones and the settings read from the environment.

Nothing here runs at import time beyond computing paths; ``load_settings`` is called by the
command line, never at import.

Environment variables
---------------------
NCBI_EMAIL            required for a live PubMed run (NCBI asks every client for a contact)
NCBI_API_KEY          optional; raises the rate limit from 3 to 10 requests per second
EVIDENCE_EUTILS_URL   base URL of E-utilities (default: NCBI's); tests point it at 127.0.0.1
EVIDENCE_CTGOV_URL    base URL of the ClinicalTrials.gov API v2 (default: the registry's); tests too
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
# the five patient documents, beside the project (never copied into it); only the report's pointer to the
# wording checker's full-text view names this folder
DEFAULT_MATERIALS_DIR = PROJECT_ROOT.parent / "shared" / "patient-materials"
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_CTGOV_URL = "https://clinicaltrials.gov/api/v2/"
TOOL_NAME = "evidence-dry-needling-tracker"
MIN_BATCH_SIZE = 200  # efetch batch size NCBI asks for at the least
# total time a run may spend talking to E-utilities (``--deadline``), in seconds: the main job's
# refresh must not hold up the report for long; a full update may need minutes for a first fetch
REPORT_DEADLINE = 120.0
UPDATE_DEADLINE = 3600.0
# the same for ClinicalTrials.gov: the main job's registry refresh (probe included; one page per condition
# of a dry needling search, so the main job stays under 30 s) and the ``registry`` command
REGISTRY_REPORT_DEADLINE = 8.0
REGISTRY_DEADLINE = 600.0
# the derived tables by name, and their files in data/derived/
DERIVED_TABLES = {
    "effects": "effects.csv",
    "questions": "questions.csv",
    "forest": "forest.csv",
    "sensitivity": "sensitivity.csv",
    "subgroups": "subgroups.csv",
    "certainty": "certainty.csv",
    "summary": "summary_of_findings.csv",
    "verdicts": "claim_verdicts.csv",
    "claim_evidence": "claim_evidence.csv",
    "withdrawn": "withdrawn.csv",
    "registry": "registry.csv",
    "registry_summary": "registry_summary.csv",
}


class ConfigError(Exception):
    """A setting, an input file or a command-line value is wrong (exit code 2)."""


@dataclass(frozen=True)
class DataPaths:
    """Where each data zone lives below one data directory; ``derived_dir``, when given, is where a
    run builds its derived outputs instead of ``<root>/derived`` (a staging folder, put in place at
    the end: ``evidence.jobs.analyse.staged_derived``)."""

    root: Path
    derived_dir: Path | None = None

    @property
    def pubmed(self) -> Path:
        """Machine-written PubMed tables."""
        return self.root / "pubmed"

    @property
    def registry(self) -> Path:
        """Machine-written ClinicalTrials.gov tables (the curated seed is ``curated/registrations.csv``)."""
        return self.root / "registry"

    @property
    def curated(self) -> Path:
        """Human-edited tables: the only files people edit."""
        return self.root / "curated"

    @property
    def derived(self) -> Path:
        """Tables, figures and the report rebuilt by ``evidence report``."""
        return self.derived_dir if self.derived_dir is not None else self.root / "derived"

    @property
    def searches(self) -> Path:
        """The search definitions (human-edited)."""
        return self.curated / "searches.yaml"

    @property
    def claims(self) -> Path:
        """The claims register (human-edited)."""
        return self.curated / "claims.yaml"

    def derived_table(self, name: str) -> Path:
        """A derived table by its name in ``DERIVED_TABLES`` (e.g. ``verdicts`` -> claim_verdicts.csv)."""
        return self.derived / DERIVED_TABLES[name]

    @property
    def figures(self) -> Path:
        """Forest and funnel plots written by ``analyse``."""
        return self.derived / "figures"

    @property
    def report(self) -> Path:
        """The static HTML report."""
        return self.derived / "report"


@dataclass(frozen=True)
class Settings:
    """How to reach E-utilities. The API key is kept out of ``repr`` so it never reaches a log."""

    email: str | None
    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_EUTILS_URL
    tool: str = TOOL_NAME
    timeout: float = 30.0
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    @property
    def requests_per_second(self) -> int:
        """NCBI's limit: 3 requests/s without an API key, 10 with one."""
        return 10 if self.api_key else 3

    def require_email(self) -> str:
        if not self.email:
            raise ConfigError(
                "NCBI_EMAIL is not set: NCBI requires a contact e-mail for E-utilities. "
                "Set it (export NCBI_EMAIL=you@example.org) to run a live PubMed update."
            )
        return self.email


@dataclass(frozen=True)
class RegistrySettings:
    """How to reach the ClinicalTrials.gov API v2 (no key; the registry asks clients to stay near
    50 requests per minute)."""

    base_url: str = DEFAULT_CTGOV_URL
    timeout: float = 30.0
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    requests_per_minute: int = 50


def load_registry_settings(environ: Mapping[str, str] | None = None) -> RegistrySettings:
    """The registry settings from the environment (``EVIDENCE_CTGOV_URL``)."""
    env = os.environ if environ is None else environ
    base_url = env.get("EVIDENCE_CTGOV_URL") or DEFAULT_CTGOV_URL
    return RegistrySettings(base_url=base_url if base_url.endswith("/") else base_url + "/")


def load_versioned_yaml(path: Path, schema_version: int, what: str) -> dict:
    """Read a human-edited YAML file whose top level is a mapping with ``schema_version``;
    any problem raises ConfigError naming the file."""
    import yaml

    try:
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if raw.get("schema_version") != schema_version:
        raise ConfigError(f"{path}: schema_version must be {schema_version}, got {raw.get('schema_version')!r}")
    return raw


def yaml_item_lines(path: Path, key: str) -> list[int]:
    """The 1-based line on which each item of the top-level list ``key`` of a YAML file starts (what
    an error about an item names); [] when the file has no such list."""
    import yaml

    root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        return []
    for name, value in root.value:
        if name.value == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    base_url = env.get("EVIDENCE_EUTILS_URL") or DEFAULT_EUTILS_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return Settings(
        email=env.get("NCBI_EMAIL") or None,
        api_key=env.get("NCBI_API_KEY") or None,
        base_url=base_url,
    )

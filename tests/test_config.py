"""Settings from the environment, the data zones of a data directory, versioned YAML files."""

from __future__ import annotations

import pytest

from evidence.config import (
    DEFAULT_EUTILS_URL,
    ConfigError,
    DataPaths,
    load_settings,
    load_versioned_yaml,
)


def test_settings_come_from_the_environment_only():
    settings = load_settings(
        {"NCBI_EMAIL": "a@example.org", "NCBI_API_KEY": "k123", "EVIDENCE_EUTILS_URL": "http://127.0.0.1:8080/eutils"}
    )
    assert settings.email == "a@example.org" and settings.requests_per_second == 10
    assert settings.base_url == "http://127.0.0.1:8080/eutils/"  # a trailing slash is added
    assert "k123" not in repr(settings)  # the key stays out of logs that print the settings
    bare = load_settings({})
    assert bare.email is None and bare.api_key is None and bare.requests_per_second == 3
    assert bare.base_url == DEFAULT_EUTILS_URL
    with pytest.raises(ConfigError, match="NCBI_EMAIL is not set"):
        bare.require_email()


def test_data_paths_put_every_file_below_the_data_directory(tmp_path):
    paths = DataPaths(tmp_path)
    assert paths.claims == tmp_path / "curated" / "claims.yaml"
    assert paths.searches == tmp_path / "curated" / "searches.yaml"
    assert paths.derived_table("verdicts") == tmp_path / "derived" / "claim_verdicts.csv"
    assert paths.derived_table("summary") == tmp_path / "derived" / "summary_of_findings.csv"
    assert paths.figures == tmp_path / "derived" / "figures" and paths.report == tmp_path / "derived" / "report"
    with pytest.raises(KeyError):
        paths.derived_table("no_such_table")


@pytest.mark.parametrize(
    "text,message",
    [
        ("schema_version: 2\nx: 1\n", "schema_version must be 1, got 2"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("a: [unclosed\n", "cannot read the thing"),
    ],
)
def test_versioned_yaml_errors_name_the_file(tmp_path, text, message):
    path = tmp_path / "thing.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_versioned_yaml(path, 1, "the thing")
    assert str(path) in str(raised.value)


def test_versioned_yaml_reads_a_good_file(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("schema_version: 1\nitems: [1, 2]\n")
    assert load_versioned_yaml(path, 1, "ok") == {"schema_version": 1, "items": [1, 2]}

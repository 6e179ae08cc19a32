#!/usr/bin/env bash
# Scheduled job (e.g. weekly cron): refresh the PubMed snapshot, re-fetch records older than 90 days
# so retractions and errata show up, then rebuild the derived tables and the report.
# Needs network access and NCBI_EMAIL (NCBI_API_KEY optional) in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m evidence update --refresh-days 90
.venv/bin/python -m evidence report --offline

"""Where the tests find things, from this file and never from the working directory.

``SHARED`` is ``../shared`` beside the project (recorded NCBI answers, metafor reference data,
patient materials, real clinic copy); tests reach it through the ``shared`` fixture of
``conftest.py`` (or, for the recorded NCBI answers, the ``articles`` fixture), which skips, or
fails under CI's ``EVIDENCE_REQUIRE_SHARED=1``, when it is absent.
"""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"
SHARED = PROJECT.parent / "shared"

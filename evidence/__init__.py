"""Evidence literature tracker for dry needling.

Subpackages by pipeline stage, each importing only the ones listed before it in its own
docstring (``tests/test_architecture.py`` checks the direction):

- shared base (modules here): ``config`` (paths, settings), ``vocab`` (the vocabulary),
  ``tables`` (atomic, deterministic CSV), ``locking`` (one writer per data directory), ``http``
  (rate limit, deadline and retries for every remote service);
- ``curation``: the human-edited inputs, their schema and validation;
- ``pubmed``: E-utilities client, XML parser, store, update loop, snapshot status;
- ``registry``: ClinicalTrials.gov client, registrations store, update loop, the cross-check with the studies;
- ``synthesis``: effect sizes, pooling, evidence questions, GRADE, verdicts;
- ``wording``: the wording checker (drafts, lexicon, detection, rules and outputs);
- ``report``: the HTML report, PRISMA diagrams, exports, plots;
- ``jobs``: validate, analyse, notebooks, the main job; ``cli`` on top.
"""

__version__ = "0.1.0"

"""The human-edited inputs: the curated tables' schema and validation (``schema``), the claims
register (``claims``) and its topics (``topics``), the search definitions (``searches``), and all
of them loaded and validated once per run (``inputs``).

Owns ``data/curated/`` except the wording lexicon, which the wording checker validates itself
(the two meet in :mod:`evidence.jobs.validate`).

May import: the shared base only (``evidence.config``, ``vocab``, ``tables``, ``locking``).
"""

"""ClinicalTrials.gov: which dry needling trials were registered, and which of them were never reported.

``ctgov`` is the only module that talks to the registry (API v2, through the shared HTTP layer
``evidence.http``) and the only reader of its JSON; ``store`` the only writer of ``data/registry/``
(machine-written: the fetched registrations and the query log); ``update`` the one incremental
update loop; ``crosscheck`` joins the curated seed (``data/curated/registrations.csv``) with the
fetched rows, matches them to ``studies.csv`` and flags the trials completed long ago with no
results found.

May import: the shared base and ``evidence.curation`` (search definitions, the curated schema).
Imports nothing from pubmed, synthesis, wording, report or jobs.
"""

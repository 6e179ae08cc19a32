"""PubMed: the E-utilities client, the XML parser, the machine-written store, the update loop and
what the snapshot holds.

Owns ``data/pubmed/`` (machine-written; never edited by hand) and every byte sent to or read from
NCBI: ``eutils`` is the only network boundary, ``parser`` the only reader of PubMed XML (no DTDs,
no entities), ``store`` the only writer of the tables, ``update`` the one incremental update loop,
``status`` the search log, retrieval of included studies and the PRISMA flow.

May import: the shared base (``evidence.config``, ``vocab``, ``tables``, ``locking``) and
``evidence.curation`` (the search definitions). Imports nothing from synthesis, wording, report or
jobs.
"""

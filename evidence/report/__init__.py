"""The HTML report and its parts: rendering (``render``, templates in ``templates/``), PRISMA 2020
diagrams (``prisma``), RIS and BibTeX exports (``exports``), forest and funnel plots (``plots``).

Renders only: it receives in-memory results and writes pages and figures.

May import: the shared base, ``evidence.curation``, ``evidence.synthesis`` and what describes the
PubMed snapshot (``evidence.pubmed.status``, ``evidence.pubmed.store``). Never imports the
E-utilities client (``evidence.pubmed.eutils``), the update loop (``evidence.pubmed.update``) or
jobs.
"""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"  # the report's and the notebook export's Jinja templates

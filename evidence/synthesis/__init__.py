"""Evidence synthesis: effect sizes (``effects``), random-effects pooling (``meta``), the evidence
questions built from the curated rows (``analysis``), GRADE certainty and informative statements
(``grade``) and claim verdicts (``verdicts``).

Pure computation on the validated inputs: reads and writes no file.

May import: the shared base and ``evidence.curation``. Never imports pubmed, wording, report or jobs.
"""

"""The wording checker: reading drafts and splitting them into sentences (``drafts``), its word
lists as validated data (``lexicon``, from ``data/curated/wording_lexicon.yaml``), claims found in
sentences (``detection``), the flagging rules, findings and their output formats (``rules``), and
the classifier that gives the rules a second opinion (``classifier``: a model trained on labelled
clinic copy, stored as numbers in ``data/curated/wording_model/``; ``thorough``: a fine-tuned
sentence encoder averaged with it, for drafts up to a length; ``training``: the labelled sets read
into their examples).

It reads the claim verdicts as a table (``data/derived/claim_verdicts.csv``), never by computing
them, so it does not depend on how they are made.

May import: the shared base and ``evidence.curation`` (claims register, topics, ``Problem``).
Never imports synthesis, pubmed, report or jobs.
"""

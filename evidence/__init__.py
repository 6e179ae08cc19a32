"""Evidence literature tracker for dry needling.

Stages, one module each: ``searches`` (search definitions), ``eutils`` (the only network
boundary), ``pubmed`` (PubMed XML parsing), ``store`` (machine-written PubMed tables),
``curation`` (the human-edited evidence base), ``effects`` and ``meta`` (effect sizes and
pooling), ``analysis`` (evidence questions), ``grade`` (certainty), ``claims`` and ``wording``
(the claims register and the wording checker), ``report`` (notebooks and HTML report).
"""

__version__ = "0.1.0"

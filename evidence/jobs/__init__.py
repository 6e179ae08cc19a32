"""The jobs that put the stages together: validating every input (``validate``), rebuilding
``data/derived/`` (``analyse``), executing the notebooks (``notebooks``) and the main job that
builds the report (``main``).

May import every stage; only :mod:`evidence.cli` imports jobs.
"""

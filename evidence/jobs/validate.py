"""``python -m evidence validate`` and the main job's first step: every human-edited input checked.

The curated tables, the search definitions and the claims register are checked by
:mod:`evidence.curation.inputs`; the wording checker's lexicon checks itself
(:func:`evidence.wording.lexicon.lexicon_problems`). The two meet here, in the job, so that the
curation stage never imports the wording checker.
"""

from __future__ import annotations

from evidence.config import DataPaths
from evidence.curation import inputs
from evidence.curation.inputs import Inputs
from evidence.curation.schema import CurationError, Problem
from evidence.wording.lexicon import lexicon_path, lexicon_problems


def input_problems(paths: DataPaths) -> list[Problem]:
    """Every problem in the human-edited inputs of ``paths``, the lexicon's included (empty when all are valid)."""
    return inputs.input_problems(paths) + lexicon_problems(lexicon_path(paths))


def load_checked_inputs(paths: DataPaths) -> Inputs:
    """:func:`evidence.curation.inputs.load_inputs`, failing also on the lexicon's problems;
    ``CurationError`` lists every problem."""
    problems = lexicon_problems(lexicon_path(paths))
    try:
        loaded = inputs.load_inputs(paths)
    except CurationError as exc:
        raise CurationError(exc.problems + problems) from None
    if problems:
        raise CurationError(problems)
    return loaded

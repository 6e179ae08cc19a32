"""The wording checker's lexicon: ``data/curated/wording_lexicon.yaml``, loaded and checked.

The file holds every word list the checker uses (what counts as dry needling as a subject,
effect words, hedges, statements of uncertainty, absolute words, negations, purpose and
attribution spans, frequency words, "safe" and its qualifiers, the topic patterns and which
topic is narrower than which), so that a clinical lead can extend it without Python. Each entry
is a regular expression matched case-insensitively; each list is compiled once, at load, into
one alternation.

``lexicon_problems`` lists every problem as :class:`evidence.curation.schema.Problem` (file, the
section and entry number as the column, what is wrong), including patterns that do not compile;
``load_lexicon`` raises :class:`ConfigError` with those problems, one per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from evidence.config import (
    DEFAULT_DATA_DIR,
    ConfigError,
    DataPaths,
    load_versioned_yaml,
)
from evidence.curation.schema import Problem
from evidence.curation.topics import TOPICS

SCHEMA_VERSION = 1
LEXICON_FILE = "wording_lexicon.yaml"
#: sections that are one list of patterns
PATTERN_LISTS = (
    "subjects",
    "pronouns",
    "object_pronouns",
    "other_treatments",
    "page_subjects",
    "section_titles",
    "section_ends",
    "other_subjects",
    "verb_markers",
    "subject_openers",
    "foreign_subject_heads",
    "treatment_subject_heads",
    "calls_to_action",
    "answers",
    "implied_subject",
    "not_claims",
    "neutral_verbs",
    "effect_words",
    "hedges",
    "uncertainty",
    "denials",
    "negations",
    "purpose",
    "attribution",
    "safe_words",
    "safety_qualifiers",
    "mild",
)
#: sections that are a mapping of fixed keys to lists of patterns (frequencies in matching order)
ABSOLUTE_SCOPES = ("effect", "safety")
FREQUENCIES = ("rare", "uncommon", "common")
SECTIONS = ("schema_version", *PATTERN_LISTS, "absolutes", "frequencies", "topics", "narrower")


def lexicon_path(paths: DataPaths) -> Path:
    """The lexicon file of a data directory."""
    return paths.curated / LEXICON_FILE


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon: one pattern per list (see the YAML file for what each means)."""

    lists: dict[str, re.Pattern[str]]
    absolutes: dict[str, re.Pattern[str]]
    frequencies: tuple[tuple[str, re.Pattern[str]], ...]
    topics: dict[str, re.Pattern[str]]
    narrower: dict[str, frozenset[str]]
    #: per topic, a pattern that finds one of the words of which one must occur in a sentence (lower
    #: case) for the topic to match (:func:`required_words`; one search in C, not a test per word);
    #: absent when some pattern of the topic has no such word
    topic_gates: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> re.Pattern[str]:
        """``lexicon.hedges`` etc.: the compiled pattern of a list section."""
        try:
            return self.__dict__["lists"][name]
        except KeyError:
            raise AttributeError(name) from None


def _compile(entries: Any, section: str, problems: list[Problem], file: str) -> re.Pattern[str] | None:
    """One alternation of a section's patterns; each bad entry is added to ``problems``."""
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(file, None, section, "must be a non-empty list of patterns"))
        return None
    good = []
    for number, entry in enumerate(entries, start=1):
        where = f"{section} entry {number}"
        if not isinstance(entry, str) or not entry.strip():
            problems.append(Problem(file, None, where, "must be a non-empty string (a regular expression)"))
            continue
        try:
            re.compile(entry)
        except re.error as exc:
            problems.append(Problem(file, None, where, f"pattern {entry!r} does not compile: {exc}"))
            continue
        if re.fullmatch(entry, "", re.I):
            problems.append(
                Problem(file, None, where, f"pattern {entry!r} matches empty text, so it matches everywhere")
            )
            continue
        good.append(entry)
    return re.compile(alternation(good), re.I) if good else None


def alternation(patterns: list[str]) -> str:
    """One regular expression matching what any of ``patterns`` matches, tried in their order. A run of
    patterns each of whose top-level branches starts with a word boundary shares one ``\\b``:
    ``\\b(?:a|b)`` matches what ``(?:\\ba)|(?:\\bb)`` matches, at the same places, but the engine
    tests the boundary once per position instead of once per pattern (most entries start with
    ``\\b``; this halves the time of the longest lists)."""
    parts: list[str] = []
    run: list[str] = []
    for pattern in patterns:
        branches = _top_level_branches(pattern)
        if all(b.startswith("\\b") for b in branches):
            run.append("(?:" + "|".join(b[2:] for b in branches) + ")")
            continue
        if run:
            parts.append("\\b(?:" + "|".join(run) + ")")
            run = []
        parts.append(f"(?:{pattern})")
    if run:
        parts.append("\\b(?:" + "|".join(run) + ")")
    return "|".join(parts)


def _mapping(raw: dict, section: str, keys: tuple[str, ...] | None, problems: list[Problem], file: str) -> dict:
    """A section that maps names to pattern lists, compiled per name."""
    value = raw.get(section)
    if not isinstance(value, dict):
        problems.append(Problem(file, None, section, "must be a mapping of names to lists of patterns"))
        return {}
    expected = set(keys if keys is not None else TOPICS)
    for missing in sorted(expected - set(value)):
        problems.append(Problem(file, None, f"{section}.{missing}", "is missing"))
    for unknown in sorted(set(value) - expected):
        hint = " (see evidence/topics.py)" if keys is None else f"; expected {', '.join(keys)}"
        problems.append(Problem(file, None, f"{section}.{unknown}", f"unknown name{hint}"))
    compiled = {name: _compile(value[name], f"{section}.{name}", problems, file) for name in value if name in expected}
    return {name: pattern for name, pattern in compiled.items() if pattern is not None}


def _narrower(raw: dict, problems: list[Problem], file: str) -> dict[str, frozenset[str]]:
    value = raw.get("narrower") or {}
    if not isinstance(value, dict):
        problems.append(Problem(file, None, "narrower", "must map a topic to the list of its narrower topics"))
        return {}
    result = {}
    for broad, narrow in value.items():
        where = f"narrower.{broad}"
        if broad not in TOPICS:
            problems.append(Problem(file, None, where, "unknown topic (see evidence/topics.py)"))
            continue
        if not isinstance(narrow, list) or not all(isinstance(t, str) for t in narrow):
            problems.append(Problem(file, None, where, "must be a list of topics"))
            continue
        unknown = [t for t in narrow if t not in TOPICS or t == broad]
        if unknown:
            problems.append(Problem(file, None, where, f"unknown or same topic(s): {', '.join(unknown)}"))
        result[broad] = frozenset(t for t in narrow if t in TOPICS and t != broad)
    return result


def _parse(path: Path) -> tuple[Lexicon | None, list[Problem]]:
    file = path.name
    try:
        raw = load_versioned_yaml(path, SCHEMA_VERSION, "the wording lexicon")
    except ConfigError as exc:
        return None, [Problem(file, None, None, str(exc).removeprefix(f"{path}: "))]
    problems: list[Problem] = [Problem(file, None, key, "unknown section") for key in raw if key not in SECTIONS]
    lists = {name: _compile(raw.get(name), name, problems, file) for name in PATTERN_LISTS}
    absolutes = _mapping(raw, "absolutes", ABSOLUTE_SCOPES, problems, file)
    frequencies = _mapping(raw, "frequencies", FREQUENCIES, problems, file)
    topics = _mapping(raw, "topics", None, problems, file)
    narrower = _narrower(raw, problems, file)
    if problems:
        return None, problems
    return Lexicon(
        lists={k: v for k, v in lists.items() if v is not None},
        absolutes=absolutes,
        frequencies=tuple((f, frequencies[f]) for f in FREQUENCIES),
        topics={t: topics[t] for t in TOPICS},
        narrower=narrower,
        topic_gates={
            t: re.compile("|".join(map(re.escape, words)))
            for t in TOPICS
            if (words := required_words(raw["topics"][t])) is not None
        },
    ), []


_LITERAL = re.compile(r"[a-z0-9 ]")
#: a quantifier that lets its group match nothing ("?", "*", "{0,3}", "{,3}"), lazy or not
_OPTIONAL = re.compile(r"(?:\?|\*|\{0?,\d*\}|\{0\})\??")


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, depth)`` of each character of ``pattern`` outside escapes and character
    classes; ``depth`` is the number of groups open around it (a group's own parentheses included)."""
    depth, escaped, in_class = 0, False, False
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            depth += char == "("
            yield i, char, depth
            depth -= char == ")"


def _top_level_branches(pattern: str) -> list[str]:
    """``pattern`` split at the ``|`` that stand outside every group and character class."""
    cuts = [i for i, char, depth in _syntax(pattern) if char == "|" and depth == 0]
    return [pattern[start + 1 : end] for start, end in zip([-1, *cuts], [*cuts, len(pattern)])]


def _leading_literal(branch: str) -> str | None:
    """The letters a pattern branch must start with (after an optional ``\\b``), lower case, or
    None when it starts otherwise or with fewer than three; a letter made optional by ``?``, ``*``
    or ``{`` after it is not required."""
    branch = branch.removeprefix("\\b")
    literal = ""
    for i, char in enumerate(branch):
        if not _LITERAL.fullmatch(char.lower()):
            break
        if branch[i + 1 : i + 2] in ("?", "*", "{"):
            break
        literal += char.lower()
    return literal if len(literal.strip()) >= 3 else None


def _group_end(pattern: str) -> int:
    """The index just after the group that ``pattern`` opens with (its first ``(``)."""
    return next((i + 1 for i, char, depth in _syntax(pattern) if char == ")" and depth == 1), len(pattern))


def _branch_words(branch: str) -> list[str] | None:
    """Words of which one must occur where ``branch`` (a pattern without top-level ``|``) matches, or
    None. Leading ``\\b`` and look-arounds are passed over (they consume nothing), so is a leading
    group made optional by ``?``, ``*`` or ``{0,n}``; then the branch gives the literal it starts with,
    or, when it starts with a group, the words of each of the group's alternatives."""
    while True:
        branch = branch.removeprefix("\\b")
        if not branch.startswith("("):
            return None if (literal := _leading_literal(branch)) is None else [literal]
        end = _group_end(branch)
        optional = _OPTIONAL.match(branch, end)
        if branch.startswith(("(?<!", "(?<=", "(?!", "(?=")) or optional:
            branch = branch[optional.end() if optional else end :]
            continue
        return _words_of_any(_top_level_branches(branch[3 if branch.startswith("(?:") else 1 : end - 1]))


def _words_of_any(branches: Iterable[str]) -> list[str] | None:
    """The words of every one of ``branches`` (alternatives: one of them matches), or None when one
    gives none."""
    words: list[str] = []
    for branch in branches:
        found = _branch_words(branch)
        if found is None:
            return None
        words += found
    return words


def required_words(entries: list[str]) -> tuple[str, ...] | None:
    """Words of which one must occur in any text that one of ``entries`` matches, or None when an
    entry gives none (see :func:`_branch_words`: ``\\bneck`` gives "neck", ``\\b(?:low(?:er)?[- ])?back``
    gives "back", ``\\b(?:a|b\\w*)`` gives "a" and "b" when each has three letters or more). A cheap
    test (Python's substring search) that lets a sentence skip the topics it cannot match; it never
    changes which topics match."""
    words = _words_of_any(branch for entry in entries for branch in _top_level_branches(entry))
    return None if words is None else tuple(sorted(set(words)))


def lexicon_entries(path: Path) -> list[tuple[str, str]]:
    """Every pattern of the lexicon file as ``(where, pattern)``: ``where`` is the section, or
    ``section.name`` in a mapping (``topics.neck_pain``), in file order."""
    raw = load_versioned_yaml(Path(path), SCHEMA_VERSION, "the wording lexicon")
    found = []
    for section in (*PATTERN_LISTS, "absolutes", "frequencies", "topics"):
        value = raw.get(section)
        if isinstance(value, list):
            found += [(section, entry) for entry in value]
        elif isinstance(value, dict):
            found += [(f"{section}.{name}", entry) for name, entries in value.items() for entry in entries]
    return found


def lexicon_problems(path: Path) -> list[Problem]:
    """Every problem of the lexicon file (empty when it is valid)."""
    path = Path(path)
    try:
        state = path.stat()
    except OSError:
        return _parse(path)[1]  # says why it cannot be read
    return list(_parsed(path, state.st_mtime_ns, state.st_size)[1])


@lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> tuple[Lexicon | None, tuple[Problem, ...]]:
    """``_parse`` once per state of the file: the job checks the lexicon and then loads it."""
    lexicon, problems = _parse(path)
    return lexicon, tuple(problems)


def load_lexicon(path: Path | None = None) -> Lexicon:
    """The compiled lexicon (default: the project's); ConfigError listing every problem.
    A file is read again only when it changed."""
    path = Path(path) if path is not None else lexicon_path(DataPaths(DEFAULT_DATA_DIR))
    try:
        state = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the wording lexicon ({exc.strerror})") from None
    lexicon, problems = _parsed(path, state.st_mtime_ns, state.st_size)
    if lexicon is None:
        raise ConfigError("\n".join(f"{path.parent}/{p}" for p in problems))
    return lexicon

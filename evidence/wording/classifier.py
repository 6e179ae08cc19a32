"""The wording checker's learned second opinion: a classifier trained on labelled clinic copy
that decides, sentence by sentence, whether the rules' reading is an overclaim.

Why: rules written after one set of real clinic pages hardly carry to the next (issue 18: the
rules score about 0.6 / 0.6 on pages nobody here had read). A linear model over the sentence's
words, its characters and what the rules found in it learns from every labelled sentence at once.

Features (one row per sentence; feature hashing, Weinberger et al. 2009, "Feature hashing for
large scale multitask learning", ICML: MurmurHash3 of each token into a fixed number of buckets,
non-negative, exactly as scikit-learn's ``HashingVectorizer`` places them (:func:`bucket`; the
same buckets and values, tested), so that scikit-learn, slow to import, is needed only to train),
in five blocks (:data:`FEATURES`):

* ``words``: word unigrams and bigrams of the lower-cased sentence (typographic quotes read as
  plain ones), binary, each row L2-normalised;
* ``characters``: character 3- to 5-grams within word boundaries (scikit-learn's ``char_wb``,
  each word's grams as :func:`_word_grams` makes them), binary, L2-normalised (they carry "relieves", "relief", "relieving" and
  misspellings to one another);
* ``rules``: one token per property of each claim the rules found (strength, claim type,
  verdict, certainty, whether flagged, topic, every topic the sentence names) or ``NOF`` when
  they found none;
* ``layout``: length in words (in fours, capped at 24+), final punctuation, position in the
  draft (first, second, later), whether the line before ends with a colon (a lead-in), whether
  the sentence is a list item, and whether the rules found and flagged a claim in the sentence
  before;
* ``lead_in``: for a list item, the word unigrams and bigrams of the sentence that leads into its
  list (the last sentence of the line above it) (as ``words``, weighted by :data:`LEAD_IN_WEIGHT`): "Needling may help with:" and "Needling
  cures:" make the same bare item ("Headaches") a different claim.

Model: logistic regression, L2 penalty with ``C`` = 3, classes weighted by the inverse of their
frequency, fitted by L-BFGS (scikit-learn ``LogisticRegression``). The probability that a
sentence overclaims is ``p = 1 / (1 + exp(-(w . x + b)))``; it is flagged when
``p >= threshold`` (0.6: leaving each of the twelve newest real sets out in turn and training on
the rest, 0.6 gave precision and recall alike, 0.727 each, where 0.5 gave 0.694 / 0.778 at the same
F1; the goal weighs both alike; with the lead-in block and eighteen sets left out in pairs, 0.736 /
0.723 at 0.6 against 0.691 / 0.770 at 0.5, F1 0.729 both). How the decision meets the rules' findings is
:func:`evidence.wording.rules.second_opinion`.

Training data: the labelled real clinic sentences (kept outside the repository: they are
third-party text) and the project's own-words sets (``data/curated/wording_*.csv`` and
``tests/fixtures/wording_dev_sentences.csv``), one example per labelled line or row (a row of
several sentences is one example, its features the union of theirs).
``scripts/train_wording_model.py`` trains it; the model is stored as data in
``data/curated/wording_model/`` (``weights.npy``: the non-zero weights by bucket;
``model.json``: intercept, threshold, feature settings and where the training data came from,
with each file's sha256). No text is stored, only numbers per hashed bucket, and nothing is
downloaded at run time.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import mmh3
import numpy as np

from evidence.config import DEFAULT_DATA_DIR, ConfigError, DataPaths
from evidence.tables import atomic_write_bytes

if TYPE_CHECKING:  # only for type hints: rules imports this module
    from evidence.wording.drafts import Sentence
    from evidence.wording.rules import Finding

MODEL_DIR = "wording_model"
WEIGHTS_FILE = "weights.npy"
MODEL_FILE = "model.json"
#: the feature blocks: name -> number of hashed buckets (the model's weight vector is their concatenation)
FEATURES = {"words": 2**18, "characters": 2**18, "rules": 2**10, "layout": 2**10, "lead_in": 2**16}
#: the lead-in block's weight against a sentence's own words (leaving each of the eighteen newest real
#: sets out in pairs and training on the rest, 0.5 raised F1 from 0.721 to 0.730 at the threshold)
LEAD_IN_WEIGHT = 0.5
#: L2 penalty of the logistic regression (scikit-learn's C, the inverse of its strength)
C = 3.0
THRESHOLD = 0.6
_WEIGHT_DTYPE = np.dtype([("bucket", "<u4"), ("weight", "<f4")])
#: scikit-learn's default token pattern: words of two or more letters or digits
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
#: the blocks whose rows are L2-normalised (the text blocks; the rules' and layout tokens are not)
_NORMED = frozenset({"words", "characters", "lead_in"})
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(frozen=True)
class Example:
    """One labelled unit (or one sentence to score): its text, its rules and layout tokens, and
    for a list item the text of its lead-in ("" otherwise)."""

    text: str
    rules: str
    layout: str
    lead_in: str = ""


def _plain_lower(text: str) -> str:
    return text.translate(_PLAIN).lower()


@lru_cache(maxsize=2**16)
def _word_grams(word: str) -> tuple[str, ...]:
    """The character 3- to 5-grams of one word with a space on each side; a padded word no longer
    than n is one gram, and no longer grams follow."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(3, 6):
        grams += [padded[i : i + n] for i in range(max(len(padded) - n + 1, 1))]
        if len(padded) <= n:
            break
    return tuple(grams)


def word_grams(text: str) -> list[str]:
    """The ``words`` and ``lead_in`` blocks' tokens: the lower-cased text's words of two or more
    letters or digits, and each pair of neighbours joined by a space (scikit-learn's ``word``
    analyzer with its default token pattern and ``ngram_range`` (1, 2); the same tokens, tested)."""
    words = _TOKEN.findall(_plain_lower(text))
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def bucket(token: str, size: int) -> int:
    """The bucket of ``token`` among ``size``, as scikit-learn's ``HashingVectorizer`` gives it:
    |h| mod ``size`` where h is MurmurHash3 (x86, 32 bits, seed 0) of the token's UTF-8 bytes read
    as a signed integer (Appleby's MurmurHash3, through the ``mmh3`` package); for h = -2**31, whose
    absolute value does not fit, (2**31 - 1 - (size - 1)) mod size, as scikit-learn defines it."""
    h = mmh3.hash(token, 0, True)
    return (2**31 - 1 - (size - 1)) % size if h == -(2**31) else abs(h) % size


@lru_cache(maxsize=2**18)
def _bucket_of(token: str, block: str) -> int:
    return bucket(token, FEATURES[block])


@lru_cache(maxsize=2**16)
def _character_buckets(word: str) -> tuple[int, ...]:
    """The ``characters`` buckets of one word, computed once and kept (words repeat: this was a
    third of the classifier's time on a long draft)."""
    return tuple(bucket(gram, FEATURES["characters"]) for gram in _word_grams(word))


def _buckets(example: Example) -> list[set[int]]:
    """The buckets each block of :data:`FEATURES` sets for ``example``, in order (binary features:
    a bucket set twice counts once)."""
    characters: set[int] = set()
    for word in _plain_lower(example.text).split():
        characters.update(_character_buckets(word))
    return [
        {_bucket_of(g, "words") for g in word_grams(example.text)},
        characters,
        {_bucket_of(t, "rules") for t in example.rules.split()},
        {_bucket_of(t, "layout") for t in example.layout.split()},
        {_bucket_of(g, "lead_in") for g in word_grams(example.lead_in)},
    ]


def _value(block: str, count: int) -> float:
    """The value of each of a row's ``count`` buckets in ``block``: 1, divided by the row's L2 norm
    sqrt(count) in the text blocks, times the block's weight (:data:`LEAD_IN_WEIGHT` for the lead-in)."""
    scale = LEAD_IN_WEIGHT if block == "lead_in" else 1.0
    return scale / math.sqrt(count) if block in _NORMED else scale


def rule_tokens(findings: Sequence[Finding]) -> set[str]:
    """What the rules found in a sentence, as tokens (``NOF`` for nothing)."""
    if not findings:
        return {"NOF"}
    tokens = {"HASF"}
    for f in findings:
        tokens |= {
            f"S_{f.strength}",
            f"T_{f.claim_type}",
            f"V_{f.verdict or 'none'}",
            f"C_{f.certainty or 'none'}",
            f"F_{f.flagged}",
            f"TOP_{f.topic}",
        }
        tokens |= {f"N_{t}" for t in f.topics}
    return tokens


def layout_tokens(sentence: Sentence, line_before: str, findings_before: Sequence[Finding] | None) -> set[str]:
    """Where and how the sentence stands: length, final punctuation, position, lead-in before it, and
    what the rules found in the sentence before (``findings_before`` None: it is the first)."""
    text = sentence.text.strip()
    end = text[-1] if text and text[-1] in ".?!:" else "none"
    tokens = {f"LEN{min(len(text.split()) // 4, 6)}", f"END_{end}", f"POS{min(sentence.index, 3)}"}
    if sentence.list_item:
        tokens.add("LIST_ITEM")
    if findings_before is not None:
        if line_before.strip().endswith(":"):
            tokens.add("PREV_COLON")
        tokens |= {"P" + t for t in rule_tokens(findings_before) if t.startswith(("F_", "HASF", "NOF"))}
    return tokens


def example(
    sentences: Sequence[Sentence],
    findings: Sequence[Finding],
    line_before: str = "",
    findings_before: Sequence[Finding] | None = None,
) -> Example:
    """The features of one unit: one sentence when scoring; when training, the sentences of one
    labelled line or row (the text joined, the rules' tokens pooled, the layout of the first)."""
    first = sentences[0]
    return Example(
        text=" ".join(s.text for s in sentences),
        rules=" ".join(sorted(rule_tokens(findings))),
        layout=" ".join(sorted(layout_tokens(first, line_before, findings_before))),
        lead_in=first.lead_in if first.list_item else "",
    )


def feature_blocks(examples: Sequence[Example]) -> list[Any]:
    """The hashed features of ``examples``, one sparse matrix per block of :data:`FEATURES` (rows:
    examples; the values of :func:`_value`), for training."""
    from scipy.sparse import csr_matrix

    rows = [_buckets(e) for e in examples]
    blocks = []
    for number, (name, size) in enumerate(FEATURES.items()):
        pointers, columns, values = [0], [], []
        for row in rows:
            found = sorted(row[number])
            if found:
                columns += found
                values += [_value(name, len(found))] * len(found)
            pointers.append(len(columns))
        blocks.append(csr_matrix((values, columns, pointers), shape=(len(rows), size), dtype=np.float64))
    return blocks


def feature_matrix(examples: Sequence[Example]) -> Any:
    """The hashed features of ``examples`` as one sparse matrix (columns: the blocks in order)."""
    from scipy.sparse import hstack

    return hstack(feature_blocks(examples)).tocsr().astype(np.float64)


RULES_ONLY = "rules-only"
#: what checked a draft, by the name the outputs give it (``checked_by``; the ``check-wording``
#: options ``--rules-only``, ``--fast`` and ``--thorough``), and in words
CHECKERS = {
    RULES_ONLY: "the rules alone",
    "fast": "the rules and the fast model",
    "thorough": "the rules and the thorough model",
}
#: how a reason names the model that scored a sentence, by the model's name
SCORERS = {
    "fast": "the fast model (a classifier trained on labelled clinic copy)",
    "thorough": "the thorough model (a classifier and a fine-tuned encoder, both trained on labelled clinic copy)",
}


class OverclaimModel(Protocol):
    """What the checker asks of a model (:class:`WordingModel`, or the thorough model of
    :mod:`evidence.wording.thorough`); ``name`` is its key in :data:`CHECKERS`."""

    threshold: float

    @property
    def name(self) -> str: ...

    def probabilities(self, examples: Sequence[Example]) -> list[float]: ...

    def weighed_words(self, text: str, towards: bool, count: int = 3) -> list[str]: ...

    def for_length(self, characters: int) -> OverclaimModel: ...


@dataclass(frozen=True)
class WordingModel:
    """A trained classifier: weights over the hashed features, intercept and threshold, and what
    it was trained on (``provenance``, written to ``model.json``)."""

    weights: np.ndarray
    intercept: float
    threshold: float
    provenance: dict
    name: ClassVar[str] = "fast"

    def probabilities(self, examples: Sequence[Example]) -> list[float]:
        """P(overclaim) of each example."""
        starts = np.cumsum([0, *FEATURES.values()])
        blocks = [(name, self.weights[start : start + size]) for (name, size), start in zip(FEATURES.items(), starts)]
        out = []
        for example in examples:  # w . x: the weights of the buckets each block sets, times its value
            score = self.intercept
            for (name, weights), found in zip(blocks, _buckets(example)):
                if found:
                    score += _value(name, len(found)) * float(weights[sorted(found)].sum())
            out.append(1.0 / (1.0 + math.exp(-score)))
        return out

    def weighed_words(self, text: str, towards: bool, count: int = 3) -> list[str]:
        """The words and word pairs of ``text`` (the ``words`` block) whose weights push its score
        most towards an overclaim (``towards``) or away from one, strongest first: what a reader can
        change. A word's bucket is scikit-learn's, MurmurHash3 (seed 0) modulo the block's size."""
        sign = 1.0 if towards else -1.0
        weighed = [(sign * self.weights[_bucket_of(g, "words")], g) for g in set(word_grams(text))]
        return [g for w, g in sorted(weighed, key=lambda item: (-item[0], item[1])) if w > 0][:count]

    def for_length(self, characters: int) -> WordingModel:
        """This model, for a draft of any length (it is fast enough for all)."""
        return self


def train(examples: Sequence[Example], labels: Sequence[bool], provenance: dict) -> WordingModel:
    """Fit the logistic regression of the module docstring to labelled examples (deterministic:
    the same examples give the same weights)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(feature_matrix(examples), list(labels))
    weights = fit.coef_[0].astype(np.float32).astype(np.float64)
    return WordingModel(weights, float(np.float32(fit.intercept_[0])), THRESHOLD, provenance)


def model_dir(paths: DataPaths | None = None) -> Path:
    """The project's model folder, ``data/curated/wording_model``."""
    return (paths or DataPaths(DEFAULT_DATA_DIR)).curated / MODEL_DIR


def save_model(model: WordingModel, folder: Path) -> None:
    """Write ``weights.npy`` (non-zero weights by bucket, float32) and ``model.json``, each atomically."""
    import io

    nonzero = np.flatnonzero(model.weights)
    table = np.zeros(len(nonzero), dtype=_WEIGHT_DTYPE)
    table["bucket"], table["weight"] = nonzero, model.weights[nonzero]
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / WEIGHTS_FILE, buffer.getvalue())
    record = {
        "features": FEATURES,
        "C": C,
        "intercept": model.intercept,
        "threshold": model.threshold,
        "provenance": model.provenance,
    }
    atomic_write_bytes(folder / MODEL_FILE, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode())


def load_model(folder: Path | None = None) -> WordingModel:
    """The model in ``folder`` (default: the project's); ConfigError naming the file when it is
    missing, unreadable, or was trained with other feature settings than this code's."""
    folder = folder or model_dir()
    meta_path, weights_path = folder / MODEL_FILE, folder / WEIGHTS_FILE
    try:
        record = json.loads(meta_path.read_text(encoding="utf-8"))
        table = np.load(weights_path, allow_pickle=False)
    except OSError as exc:
        raise ConfigError(f"{exc.filename}: cannot read the wording model ({exc.strerror})") from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{folder}: the wording model is not readable ({exc})") from None
    if record.get("features") != FEATURES:
        raise ConfigError(
            f"{meta_path}: trained with features {record.get('features')}, this code uses {FEATURES}; "
            "retrain it with scripts/train_wording_model.py"
        )
    size = sum(FEATURES.values())
    if table.dtype != _WEIGHT_DTYPE or (len(table) and int(table["bucket"].max()) >= size):
        raise ConfigError(f"{weights_path}: expected {_WEIGHT_DTYPE} weights for {size} buckets")
    weights = np.zeros(size)
    weights[table["bucket"]] = table["weight"]
    try:
        return WordingModel(weights, float(record["intercept"]), float(record["threshold"]), record["provenance"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{meta_path}: missing or bad field ({exc})") from None

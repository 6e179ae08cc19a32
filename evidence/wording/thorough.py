"""The wording checker's thorough model: a fine-tuned sentence encoder beside the linear classifier,
their probabilities averaged.

Why: the linear classifier (:mod:`evidence.wording.classifier`) sees words, character grams and the
rules' tokens, one at a time; it cannot read "It eases pain for good" differently from "It is used
to ease pain". A small transformer fine-tuned on the same labelled copy reads the sentence as a
whole. Scored once on real clinic sets nobody here had read (37-40, 2,102 entries, thresholds fixed
before the sets existed), the mean of the two flagged overclaims with precision 0.850 and recall 0.820
against the linear model's 0.832 / 0.760; shipped, on sets 41-44, 0.810 / 0.788 against 0.789 / 0.764
(README, "The thorough model").

Model: all-MiniLM-L6-v2 (Wang et al. 2020, "MiniLM", NeurIPS; sentence-transformers' version,
Reimers and Gurevych 2019), six layers, 384 wide, every weight fine-tuned as a sentence-pair
classifier (``scripts/train_thorough_model.py`` says how). The pair (:func:`pair`): the sentence,
then its context, the list's lead-in (first :data:`LEAD_IN_CHARS` characters), ``" | "``, and the
rules' and layout tokens of :class:`evidence.wording.classifier.Example`, cut to :data:`MAX_TOKENS`
word pieces from the context's end. A linear head over the mean of the encoder's last hidden states
gives a logit ``z``; ``p_tuned = 1 / (1 + exp(-z))``. The thorough probability is
``p = (p_linear + p_tuned) / 2``, flagged when ``p >= THRESHOLD`` (0.60). The first threshold, 0.65,
was chosen on sets 35-36 and written down before sets 37-40 were built; over the six sets it was
then scored on once (37-42), F1 hardly moved between 0.50 and 0.65 (0.838, 0.834, 0.833) while
precision and recall met near 0.60 (0.844 / 0.825, against 0.865 / 0.804 at 0.65). The goal weighs
both alike, so 0.60, as for the linear model; written down before sets 43-44 were read.

The encoder runs in ONNX Runtime with 8-bit weights: each matrix multiplication's weights in blocks
of 32 with a scale each (onnxruntime's weight-only ``MatMulNBits``), the word-piece embeddings in
16-bit floats, activations in 32-bit floats: 36 MB instead of 90, as fast as the full model (about
140 sentences a second on two cores), and on sets 39-40 within 0.021 of its probabilities, flagging
the same entries. (Dynamic 8-bit quantisation, 23 MB and twice as fast, scales activations by the
range of the whole batch, so a sentence's score moved with its neighbours, by up to 0.06, and lost
five true flags on those sets.) Word pieces come from the base model's own ``tokenizer.json``
(Hugging Face ``tokenizers``). Nothing is downloaded at run time.

Speed decides where it runs: a draft of at most :data:`THOROUGH_MAX_CHARS` characters (about 1,500
words, some 150 sentences: a second or so on two cores, where the linear model checks 2,000 sentences
a second) gets the thorough model, a longer one the linear model alone, with a note on stderr (:meth:`ThoroughModel.for_length`; ``check-wording --thorough`` or ``--fast`` choose one for
every draft).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from evidence.config import ConfigError
from evidence.wording.classifier import CHECKERS, RULES_ONLY, Example, OverclaimModel, WordingModel, load_model

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
SETTINGS_FILE = "thorough.json"
#: the encoder's inputs, in the order of its ONNX graph
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
#: word pieces read per pair (the context is cut from its end to fit)
MAX_TOKENS = 128
#: characters of a list's lead-in put in the context
LEAD_IN_CHARS = 200
#: threshold on the mean of the two probabilities (module docstring)
THRESHOLD = 0.60
#: the longest draft (characters) checked thoroughly when the choice is left to the checker
THOROUGH_MAX_CHARS = 10_000
#: pairs scored at a time (sorted by length, so a batch is padded little)
BATCH = 64
#: how a check picks its model (:func:`checker_model`)
CHOICES = ("auto", *CHECKERS)


def pair(example: Example) -> tuple[str, str]:
    """The (sentence, context) pair the encoder reads for ``example`` (module docstring)."""
    return example.text, f"{example.lead_in[:LEAD_IN_CHARS]} | {example.rules} {example.layout}"


class TunedEncoder:
    """The fine-tuned encoder and its head (ONNX), with its tokenizer: P(overclaim) per example."""

    def __init__(self, encoder: Path, tokenizer: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(encoder), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()  # the base model's file pads and cuts every input to 128; pairs are built here
        self._tokenizer.no_truncation()
        self._start, self._separator = self._tokenizer.token_to_id("[CLS]"), self._tokenizer.token_to_id("[SEP]")

    def word_pieces(self, examples: Sequence[Example]) -> list[tuple[list[int], list[int]]]:
        """Each example's pair as word-piece ids and segment ids, ``[CLS] sentence [SEP] context [SEP]``,
        at most :data:`MAX_TOKENS` long: the context is cut from its end to fit, and a sentence too long
        to leave room for any context is cut from its end too (BERT's pair input; Hugging Face's
        ``only_second`` truncation, which refuses such a sentence)."""
        pairs = [pair(e) for e in examples]
        sentences = self._tokenizer.encode_batch([p[0] for p in pairs], add_special_tokens=False)
        contexts = self._tokenizer.encode_batch([p[1] for p in pairs], add_special_tokens=False)
        out = []
        for sentence, context in zip(sentences, contexts):
            first = sentence.ids[: MAX_TOKENS - 3]
            second = context.ids[: MAX_TOKENS - 3 - len(first)]
            ids = [self._start, *first, self._separator, *second, self._separator]
            out.append((ids, [0] * (len(first) + 2) + [1] * (len(second) + 1)))
        return out

    def probabilities(self, examples: Sequence[Example]) -> list[float]:
        """P(overclaim) of each example by the fine-tuned model alone."""
        pieces = self.word_pieces(examples)
        order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][0]))
        logits = np.zeros(len(pieces))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            width = max(len(pieces[k][0]) for k in batch)
            feed = {name: np.zeros((len(batch), width), dtype=np.int64) for name in INPUT_NAMES}
            for row, k in enumerate(batch):
                ids, segments = pieces[k]
                feed["input_ids"][row, : len(ids)] = ids
                feed["attention_mask"][row, : len(ids)] = 1
                feed["token_type_ids"][row, : len(ids)] = segments
            logits[batch] = self._session.run(None, feed)[0]
        return [1.0 / (1.0 + math.exp(-z)) for z in logits]


@dataclass(frozen=True)
class ThoroughModel:
    """The linear model and the fine-tuned encoder, their probabilities averaged; used for drafts of
    at most ``max_chars`` characters (None: for every draft)."""

    linear: WordingModel
    tuned: Any  # TunedEncoder (or anything with its probabilities method)
    threshold: float = THRESHOLD
    max_chars: int | None = THOROUGH_MAX_CHARS
    name: ClassVar[str] = "thorough"

    def probabilities(self, examples: Sequence[Example]) -> list[float]:
        """``(p_linear + p_tuned) / 2`` of each example."""
        if not examples:
            return []
        return [(a + b) / 2 for a, b in zip(self.linear.probabilities(examples), self.tuned.probabilities(examples))]

    def weighed_words(self, text: str, towards: bool, count: int = 3) -> list[str]:
        """The linear model's weighed words (the encoder gives none a reader could use)."""
        return self.linear.weighed_words(text, towards, count)

    def for_length(self, characters: int) -> ThoroughModel | WordingModel:
        """This model for a draft of ``characters`` characters, or the linear model when it is longer
        than ``max_chars``."""
        return self if self.max_chars is None or characters <= self.max_chars else self.linear


def load_thorough_model(
    folder: Path, linear: WordingModel, max_chars: int | None = THOROUGH_MAX_CHARS
) -> ThoroughModel:
    """The thorough model whose encoder, tokenizer and settings are in ``folder``, beside ``linear``;
    ConfigError naming the file when one is missing or unreadable, or was trained with other
    settings than this code's."""
    settings_path = folder / SETTINGS_FILE
    try:
        settings = json.loads(settings_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{exc.filename}: cannot read the thorough model's settings ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{settings_path}: not JSON ({exc})") from None
    if settings.get("max_tokens") != MAX_TOKENS:
        raise ConfigError(
            f"{settings_path}: trained for max_tokens {settings.get('max_tokens')}, this code uses {MAX_TOKENS}; "
            "retrain it with scripts/train_thorough_model.py"
        )
    for name in (ENCODER_FILE, TOKENIZER_FILE):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder / name}: the thorough model's file is missing")
    try:
        tuned = TunedEncoder(folder / ENCODER_FILE, folder / TOKENIZER_FILE)
    except Exception as exc:  # onnxruntime and tokenizers raise their own types for unreadable files
        raise ConfigError(f"{folder}: the thorough model cannot be loaded ({exc})") from None
    return ThoroughModel(linear, tuned, THRESHOLD, max_chars)


def checker_model(folder: Path, choice: str = "auto") -> OverclaimModel | None:
    """The model a check uses, from the models in ``folder``: ``auto`` the thorough model for drafts
    of at most :data:`THOROUGH_MAX_CHARS` characters and the linear one beyond, ``thorough`` the
    thorough model for every draft, ``fast`` the linear model, ``rules-only`` none (the rules alone)."""
    if choice not in CHOICES:
        raise ConfigError(f"unknown model choice {choice!r}; choose one of {', '.join(CHOICES)}")
    if choice == RULES_ONLY:
        return None
    linear = load_model(folder)
    if choice == "fast":
        return linear
    return load_thorough_model(folder, linear, None if choice == "thorough" else THOROUGH_MAX_CHARS)

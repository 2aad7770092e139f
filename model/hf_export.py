"""Write any model of ours as a standard Hugging Face directory.

The shipped model is stored as fp16 tensors over the base weights (22 MB, see training/compact.py)
and LoRA models as adapters: both need this package to load. `export_hf` writes the full weights
(model.safetensors), config with the label map, tokenizer and card, so that
`transformers.pipeline("text-classification", model=DIR)`, Text Embeddings Inference or Optimum
load it with no code of ours.
"""

import shutil
import tempfile
from pathlib import Path

from model.errors import InputError, RunError
from model.loading import load_model

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def export_hf(directory: Path, output: Path) -> Path:
    """Write the model in `directory` to `output` (a new directory) as a standard Hugging Face model."""
    directory, output = Path(directory), Path(output)
    if output.exists():
        raise InputError(f"{output} already exists; export writes a new directory")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: directory {output.parent} does not exist")
    model, card = load_model(directory)
    try:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.partial-") as scratch:
            staging = Path(scratch) / "model"
            model.save_pretrained(str(staging), safe_serialization=True)
            for name in TOKENIZER_FILES:
                if (directory / name).is_file():
                    shutil.copy(directory / name, staging / name)
            card.format, card.base_sha256 = "full", ""
            card.save(staging)
            staging.rename(output)
    except OSError as exc:
        raise RunError(f"export failed while writing ({exc}); nothing written to {output}") from None
    return output

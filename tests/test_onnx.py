"""The ONNX Runtime path gives the PyTorch path's labels, faster and without importing torch."""

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from model import load_predictor
from model.cli import app
from model.loading import DEFAULT_MODEL_DIR, ONNX_FILE
from model.onnx import export, load_onnx_backend, weight_only
from model.predictor import Predictor
from tests.conftest import ROOT
from training.evaluate import score


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A copy of the shipped model with both an int8 and an fp32 ONNX export."""
    directory = tmp_path_factory.mktemp("onnx") / "shipped"
    shutil.copytree(DEFAULT_MODEL_DIR, directory, ignore=shutil.ignore_patterns("*.onnx"))
    export(directory)
    export(directory, quantize=False)
    return directory


@pytest.fixture(scope="module")
def test_split():
    return [json.loads(line) for line in (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def labels_of(predictor, rows):
    return [p.label for p in predictor.predict([r["text"] for r in rows])]


def test_fp32_onnx_gives_exactly_the_pytorch_labels(exported, test_split):
    torch_predictor = load_predictor(exported, backend="torch")
    onnx_fp32 = Predictor(load_onnx_backend(exported / "model.onnx", exported), torch_predictor.tokenizer,
                          torch_predictor.card, torch_predictor.labels)
    assert labels_of(onnx_fp32, test_split) == labels_of(torch_predictor, test_split)


def test_int8_onnx_keeps_the_labels_and_the_score(exported, test_split):
    torch_labels = labels_of(load_predictor(exported, backend="torch"), test_split)
    int8 = load_predictor(exported)  # auto picks the export
    int8_labels = labels_of(int8, test_split)
    agreement = sum(a == b for a, b in zip(torch_labels, int8_labels)) / len(test_split)
    assert agreement >= 0.99
    gold = [r["label"] for r in test_split]
    assert abs(score(gold, int8_labels, int8.labels).macro_f1 - score(gold, torch_labels, int8.labels).macro_f1) <= 0.005
    assert (exported / ONNX_FILE).stat().st_size < 30_000_000


def test_the_batch_free_graph_scores_each_window_alone(exported, test_split):
    """Same int8 weights, fp32 activations: a window's logits do not move with its batch, and the labels hold."""
    import numpy as np
    import onnx

    graph = onnx.load(str(exported / ONNX_FILE))
    matmuls = sum(n.op_type == "MatMulInteger" for n in graph.graph.node)
    assert weight_only(graph) == matmuls > 0
    assert not {"DynamicQuantizeLinear", "MatMulInteger"} & {n.op_type for n in graph.graph.node}
    int8 = load_predictor(exported)
    batch_free = int8.backend.batch_free
    windows = [int8.tokenizer.encode(r["text"]) for r in test_split[:40]]
    together = batch_free(*int8._pad(windows))
    alone = np.concatenate([batch_free(*int8._pad([w])) for w in windows])
    assert np.abs(together - alone).max() < 1e-4
    quantised = np.concatenate([int8.backend(*int8._pad([w])) for w in windows])
    assert (quantised.argmax(1) == alone.argmax(1)).mean() >= 0.95  # the same model, not another one
    fp32 = load_onnx_backend(exported / "model.onnx", exported)
    assert fp32.batch_free is None, "an fp32 export is batch-free already"


def test_the_onnx_path_does_not_import_torch(exported):
    code = (f"import sys; from model import load_predictor; p = load_predictor({str(exported)!r}, backend='onnx'); "
            "p.predict('Rebels shelled the port.'); assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_export_command_and_missing_export_error(tiny_model, tmp_path):
    directory = tmp_path / "tiny"
    shutil.copytree(tiny_model, directory)
    runner = CliRunner()
    missing = runner.invoke(app, ["classify", "-", "--model", str(directory), "--backend", "onnx"], input="text")
    assert missing.exit_code == 2 and "run `conflict-paragraphs export" in missing.stderr
    result = runner.invoke(app, ["export", "--model", str(directory)])
    assert result.exit_code == 0, result.output
    assert (directory / ONNX_FILE).is_file() and "exported" in result.stdout
    rows = runner.invoke(app, ["classify", "-", "--model", str(directory), "-f", "jsonl"], input="a\n\nb\n").stdout
    assert len(rows.splitlines()) == 2


def _inputs(vocab_size: int):
    import torch

    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(5, vocab_size, (3, 21), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 9:] = 0  # a padded row: padding must not change its logits
    attention_mask[2, 15:] = 0
    return input_ids, attention_mask, torch.zeros_like(input_ids)


def test_the_bert_export_graph_gives_the_model_logits(tiny_model):
    import torch

    from model.loading import load_model
    from model.onnx import export_graph

    model, _ = load_model(tiny_model)
    graph = export_graph(model).eval()
    assert type(graph).__name__ == "BertClsLogits"  # the faster graph is the one exported for MiniLM
    input_ids, attention_mask, token_type_ids = _inputs(model.config.vocab_size)
    with torch.no_grad():
        expected = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits
        got = graph(input_ids, attention_mask, token_type_ids)
        shorter = graph(input_ids[1:2, :9], attention_mask[1:2, :9], token_type_ids[1:2, :9])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(shorter, expected[1:2], rtol=1e-4, atol=1e-5)


def test_other_architectures_export_their_own_forward():
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from model.onnx import export_graph

    config = DistilBertConfig(vocab_size=50, dim=16, hidden_dim=32, n_layers=1, n_heads=2, num_labels=3)
    model = DistilBertForSequenceClassification(config).eval()
    graph = export_graph(model).eval()
    assert type(graph).__name__ == "Logits"
    input_ids, attention_mask, token_type_ids = _inputs(config.vocab_size)
    with torch.no_grad():
        torch.testing.assert_close(graph(input_ids, attention_mask, token_type_ids),
                                   model(input_ids=input_ids, attention_mask=attention_mask).logits)

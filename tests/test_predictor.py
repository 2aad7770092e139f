import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import Prediction, classify_article, load_predictor


@pytest.fixture(scope="module")
def predictor(tiny_model):
    return load_predictor(tiny_model)


def test_str_gives_one_prediction_and_list_gives_a_list(predictor):
    one = predictor.predict("Rebels shelled the airport overnight.")
    many = predictor.predict(["Rebels shelled the airport overnight.", "Sign up for our newsletter."])
    assert isinstance(one, Prediction)
    assert isinstance(many, list) and len(many) == 2
    assert many[0].label == one.label
    assert many[0].score == pytest.approx(one.score, abs=1e-5)  # padding differs, so only nearly equal


def test_scores_are_probabilities_over_every_label(predictor):
    prediction = predictor.predict("The death toll rose to 40, officials said.")
    assert set(prediction.scores) == set(predictor.labels)
    assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= p <= 1.0 for p in prediction.scores.values())
    assert prediction.label == max(prediction.scores, key=prediction.scores.get)
    assert prediction.score == prediction.scores[prediction.label]


def test_probabilities_use_the_fitted_temperature_unless_another_is_given(predictor):
    import numpy as np

    texts = ["The death toll rose to 40, officials said.", "Rebels shelled the airport overnight."]
    calibrated = predictor.predict_proba(texts)
    raw = predictor.predict_proba(texts, temperature=1.0)
    sharper = predictor.predict_proba(texts, temperature=0.25)
    assert (calibrated.argmax(1) == raw.argmax(1)).all() and (raw.argmax(1) == sharper.argmax(1)).all()
    assert (sharper.max(1) > raw.max(1)).all()  # a lower temperature is more confident, never differently labelled
    if predictor.temperature != 1.0:
        assert not np.allclose(calibrated, raw)
    with pytest.raises(ValueError, match="temperature must be positive"):
        predictor.predict_proba(texts, temperature=0)


def test_order_is_kept_whatever_the_batching(predictor):
    texts = [f"{'Troops advanced. ' * n}Paragraph {n}." for n in (9, 1, 5, 3, 7, 2)]
    batched = predictor.predict(texts, batch_size=2)
    singly = [predictor.predict(t) for t in texts]
    for a, b in zip(batched, singly):
        assert a.label == b.label
        assert a.score == pytest.approx(b.score, abs=1e-5)


def test_empty_list_gives_empty_list(predictor):
    assert predictor.predict([]) == []


@pytest.mark.parametrize("bad, message", [(None, "texts must be a str"), (["ok", 3], r"texts\[1\] must be a str"),
                                          (["ok", "fine", None], r"texts\[2\] must be a str")])
def test_non_str_input_raises_type_error_naming_the_index(predictor, bad, message):
    with pytest.raises(TypeError, match=message):
        predictor.predict(bad)


def test_threads_sharing_a_predictor_agree_with_one_thread(predictor):
    texts = [f"Report number {i}: the army shelled the bridge and {i} people fled." for i in range(24)]
    expected = [p.label for p in predictor.predict(texts)]
    results = [None] * 4

    def work(slot):
        results[slot] = [p.label for p in predictor.predict(texts, batch_size=5)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_a_long_paragraph_is_read_to_its_end(predictor):
    """Windows cover the whole paragraph: what follows the first window changes the scores."""
    filler = "The valley is known for its orchards and old churches. " * 60
    short = predictor.predict(filler)
    tail = predictor.predict(filler + "At least 90 people were killed and 200 wounded in the strike. " * 10)
    assert short.scores != pytest.approx(tail.scores, abs=1e-4)


def test_classify_article_gives_index_text_and_prediction(predictor):
    article = "Headline about the war\n\nThe army shelled the town.\n\nAt least 12 were killed."
    rows = classify_article(article, predictor)
    assert [r.index for r in rows] == [0, 1, 2]
    assert rows[1].text == "The army shelled the town."
    assert all(r.prediction.label in predictor.labels for r in rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=6))
def test_arbitrary_unicode_never_raises_and_gives_one_prediction_each(predictor, texts):
    predictions = predictor.predict(texts)
    assert len(predictions) == len(texts)
    assert all(p.label in predictor.labels for p in predictions)


def test_hard_unicode_cases(predictor):
    texts = ["💥🔥 " * 50, "قصفت القوات المدينة ليلا", "\u200b\u200d\u202e\x00\x07", "x" * 5000, ""]
    assert len(predictor.predict(texts)) == len(texts)


def test_importing_the_package_does_not_import_torch():
    code = "import sys, model; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_20000_word_paragraph_gives_one_prediction(predictor):
    paragraph = " ".join(["shelling"] * 10_000 + ["killed"] * 10_000)
    prediction = predictor.predict(paragraph)
    assert prediction.label in predictor.labels
    assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-6)


def test_background_windows_never_outvote_a_reporting_window(predictor):
    import numpy as np

    other, cas = predictor.labels.index("other"), predictor.labels.index("casualty_report")
    windows = np.full((4, len(predictor.labels)), 0.01)
    windows[0, other] = windows[1, other] = windows[2, cas] = windows[3, other] = 0.96
    owners = np.array([0, 0, 0, 1])
    combined = predictor._combine(windows, owners, np.zeros((2, len(predictor.labels))))
    assert combined[0].argmax() == cas, "paragraph 0: two background windows, one reporting window"
    assert combined[1].argmax() == other, "paragraph 1: only background"


def test_an_unknown_backend_is_named():
    from model.errors import InputError

    with pytest.raises(InputError, match="unknown backend 'gpu'; choose auto, onnx or torch"):
        load_predictor(backend="gpu")


class RecordingBackend:
    """A backend that records the shape of each batch and gives fixed logits (all equal: every window a close call)."""

    def __init__(self, labels: int, batch_free=None, logits: float = 0.0):
        self.shapes, self.labels, self.logits = [], labels, logits
        if batch_free is not None:
            self.batch_free = batch_free

    def __call__(self, input_ids, attention_mask, token_type_ids):
        import numpy as np

        self.shapes.append(input_ids.shape)
        logits = np.full((input_ids.shape[0], self.labels), self.logits)
        logits[:, 0] += self.logits  # a clear winner only when logits is not 0
        return logits


def recording_predictor(predictor):
    from model.predictor import Predictor

    n = len(predictor.labels)
    return Predictor(RecordingBackend(n, batch_free=RecordingBackend(n, logits=5.0)), predictor.tokenizer,
                     predictor.card, predictor.labels)


def test_close_calls_are_rerun_batch_free_a_few_windows_at_a_time(predictor):
    """The batch-free graph computes in fp32, so its memory is bounded by rerunning CLOSE_CALL_BATCH windows at most."""
    from model.predictor import CLOSE_CALL_BATCH

    recording = recording_predictor(predictor)
    predictions = recording.predict([f"Paragraph {i} about the shelling." for i in range(20)], batch_size=32)
    assert recording.backend.shapes[0][0] == 20
    assert [shape[0] for shape in recording.backend.batch_free.shapes] == [CLOSE_CALL_BATCH, CLOSE_CALL_BATCH, 20 - 2 * CLOSE_CALL_BATCH]
    assert all(p.label == predictor.labels[0] for p in predictions), "the batch-free scores are the ones kept"


def test_reserve_memory_runs_the_widest_batch_of_each_backend(predictor):
    from model.predictor import CLOSE_CALL_BATCH

    recording = recording_predictor(predictor)
    recording.reserve_memory(batch_size=16)
    assert recording.backend.shapes == [(16, recording.max_length)]
    assert recording.backend.batch_free.shapes == [(min(16, CLOSE_CALL_BATCH), recording.max_length)]
    predictor.reserve_memory(batch_size=2)  # a real backend without a batch-free graph (the tiny model's torch) runs it too

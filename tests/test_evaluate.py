import pytest

from training.evaluate import plot_confusion, score


def test_score_matches_hand_computed_metrics():
    true = ["a", "a", "b", "b", "c", "c"]
    predicted = ["a", "b", "b", "b", "c", "a"]
    result = score(true, predicted, ["a", "b", "c"])
    assert result.per_label["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result.per_label["b"]["precision"] == pytest.approx(2 / 3)
    assert result.per_label["b"]["recall"] == 1.0
    assert result.per_label["c"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert result.macro_f1 == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_labels_absent_from_the_data_do_not_drag_macro_f1_down():
    result = score(["a", "b"], ["a", "b"], ["a", "b", "unused"])
    assert result.macro_f1 == 1.0
    assert result.per_label["unused"]["support"] == 0


def test_confusion_plot_is_a_png(tmp_path):
    path = tmp_path / "cm.png"
    plot_confusion(score(["a", "b"], ["a", "a"], ["a", "b"]), path)
    assert path.read_bytes()[:4] == b"\x89PNG"

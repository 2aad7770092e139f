import pytest

from model.errors import InputError
from training.baselines import embed, train_baseline
from training.data import load_splits


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    from tests.conftest import tiny_rows, write_jsonl

    return load_splits(write_jsonl(tmp_path_factory.mktemp("d") / "t.jsonl", tiny_rows()), validation_fraction=0.25)


def test_tfidf_baseline_learns_the_training_set(splits):
    result = train_baseline("tfidf", splits)
    assert set(result.evaluations) == {"validation"}
    assert result.evaluations["validation"].n == len(splits.validation)
    assert result.train_seconds >= 0


def test_embeddings_are_normalised_and_separate_topics():
    vectors = embed(["Artillery shelled the town.", "Mortars hit the village.", "Subscribe to our newsletter."])
    assert vectors.shape == (3, 384)
    assert (abs((vectors**2).sum(axis=1) - 1) < 1e-4).all()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_embeddings_baseline_beats_chance(splits):
    assert train_baseline("embeddings", splits).evaluations["validation"].macro_f1 > 0.3


def test_unknown_baseline_is_refused(splits):
    with pytest.raises(InputError, match="unknown baseline 'svm'"):
        train_baseline("svm", splits)

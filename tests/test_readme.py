"""The README's Python examples say what the shipped model really answers."""

from model import predict
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_predict_examples_give_the_labels_it_shows():
    single = "Government forces shelled the eastern districts overnight."
    pair = ["The toll rose to 43, medics said.", "Sign up to our newsletter."]
    assert f'predict("{single}").label   # \'military_action\'' in README
    assert f'predict(["{pair[0]}", "{pair[1]}"])   # [casualty_report, other]' in README
    assert predict(single).label == "military_action"
    assert [p.label for p in predict(pair)] == ["casualty_report", "other"]

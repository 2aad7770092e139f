"""conflict-paragraphs: label the paragraphs of conflict news.

    >>> from model import predict, classify_article
    >>> predict("Rebels shelled the airport overnight.").label
    'military_action'

Importing this package imports neither torch nor ray; the first prediction loads the model.
"""

from model.articles import split_paragraphs
from model.classify import ArticleParagraph, classify_article
from model.dataset import ParagraphClassifier, classify_dataset
from model.errors import ConflictParagraphsError, InputError, RunError
from model.predictor import Prediction, Predictor, load_predictor, predict

__all__ = [
    "ArticleParagraph",
    "ConflictParagraphsError",
    "InputError",
    "ParagraphClassifier",
    "Prediction",
    "Predictor",
    "RunError",
    "classify_article",
    "classify_dataset",
    "load_predictor",
    "predict",
    "split_paragraphs",
]

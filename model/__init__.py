"""conflict-paragraphs: label the paragraphs of conflict news.

    >>> from model import predict, classify_article
    >>> predict("Rebels shelled the airport overnight.").label
    'military_action'

Importing this package does not import torch; the first prediction loads the model.
"""

from model.articles import split_paragraphs
from model.classify import ArticleParagraph, classify_article
from model.errors import ConflictParagraphsError, InputError, RunError
from model.predictor import Prediction, Predictor, load_predictor, predict

__all__ = [
    "ArticleParagraph",
    "ConflictParagraphsError",
    "InputError",
    "Prediction",
    "Predictor",
    "RunError",
    "classify_article",
    "load_predictor",
    "predict",
    "split_paragraphs",
]

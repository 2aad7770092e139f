"""Temperature scaling: one number, fitted on validation, that makes scores mean what they say.

A fine-tuned classifier is usually over-confident; dividing its logits by a temperature T > 1
fitted to minimise validation log-loss fixes most of that without changing any label.
"""

import numpy as np

from model.predictor import softmax


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.05, 20] that minimises the negative log-likelihood of `labels`."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return -float(np.mean(np.log(p[np.arange(len(labels)), labels] + 1e-12)))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Mean |confidence - accuracy| over equal-width confidence bins, weighted by bin size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(confidence[in_bin].mean() - correct[in_bin].mean())
    return float(ece)

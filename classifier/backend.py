"""The interface every scoring backend implements: a batch of texts in, probabilities out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt


@runtime_checkable
class ToxicityBackend(Protocol):
    """A loaded model that scores texts.

    ``predict_proba`` takes any number of texts (empty strings allowed) and returns a float32
    matrix of shape ``(len(texts), len(LABELS))`` with values in ``[0, 1]``, columns in
    ``classifier.labels.LABELS`` order. It never raises on long or unusual text.
    """

    name: str

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...

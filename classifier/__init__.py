"""The toxicity model: label schema, backends, batch inference and model artifacts.

Pure Python (numpy, scikit-learn, later torch/transformers): nothing here imports Django, so the
classifier can be used from a notebook, a script or a Celery worker alike.
"""

from classifier.labels import LABELS, Label

__all__ = ["LABELS", "Label"]

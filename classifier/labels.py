"""The label schema every model, dataset and API response shares (the Jigsaw 2018 labels)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Label(StrEnum):
    TOXIC = "toxic"
    SEVERE_TOXIC = "severe_toxic"
    OBSCENE = "obscene"
    THREAT = "threat"
    INSULT = "insult"
    IDENTITY_HATE = "identity_hate"


#: Column order of every probability matrix a backend returns.
LABELS: Final[tuple[str, ...]] = tuple(label.value for label in Label)

#: Identifies this schema in artifacts; loading an artifact with another schema id fails.
LABEL_SCHEMA_ID: Final[str] = "jigsaw-6:" + ",".join(LABELS)

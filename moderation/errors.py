"""Domain errors the services raise; the API turns each into a stable machine-readable code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ModerationError(Exception):
    """Base of the errors a caller is expected to handle. `code` is stable API vocabulary."""

    code = "moderation_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExternalIdConflict(ModerationError):
    """The platform already sent a different comment under this external id."""

    code = "external_id_conflict"

    def __init__(self, external_id: str, comment_public_id: str) -> None:
        super().__init__(
            f"external_id {external_id!r} already names a different comment; "
            "send the same payload to read it back, or use a new external_id."
        )
        self.external_id = external_id
        self.comment_public_id = comment_public_id


@dataclass
class BatchItemError:
    index: int
    external_id: str | None
    errors: dict[str, Any] = field(default_factory=dict)


class BatchRejected(ModerationError):
    """A batch was refused whole; `items` says which entries were wrong and why."""

    code = "batch_rejected"

    def __init__(self, items: list[BatchItemError], *, conflict: bool = False) -> None:
        super().__init__(
            f"The batch was not stored: {len(items)} item(s) were refused. Nothing was written."
        )
        self.items = items
        self.conflict = conflict


class NoActiveModel(ModerationError):
    """No model version is active, so comments cannot be scored yet (they stay pending)."""

    code = "no_active_model"


class InvalidPolicy(ModerationError):
    """A platform's thresholds are out of range or inconsistent."""

    code = "invalid_policy"

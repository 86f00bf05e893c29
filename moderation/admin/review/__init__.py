"""The moderator's workflow in the admin, one module per seam: how a comment is shown
(`presentation`), the queue's filters, the forms, the queue with its decision page (`queue`),
the author page and actions against authors (`authors`), the audit log with the corrections
export (`audit`), and "try a text" (`text_trial`)."""

from moderation.admin.review import audit, authors, queue, text_trial

__all__ = ["audit", "authors", "queue", "text_trial"]

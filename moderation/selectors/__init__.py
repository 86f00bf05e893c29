"""Selectors: every read of moderation data that has rules (scoping, ordering) lives here."""

"""Services: every write to moderation data goes through a function here."""

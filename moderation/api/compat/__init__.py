"""Endpoints that answer clients written for other moderation APIs (OpenAI's moderations,
Google's Perspective) in those APIs' own request, response and error shapes, scored by our
model through the synchronous path (moderation/services/analysis.py). docs/compatibility.md
has the label mappings."""

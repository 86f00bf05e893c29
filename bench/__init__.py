"""Benchmarks: scripts run by path (`python bench/<name>.py`), recorded in docs/."""

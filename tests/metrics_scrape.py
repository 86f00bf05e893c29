"""Reading `/metrics` the way Prometheus does, for the tests."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Any, **headers: str) -> Samples:
    """Every sample of `/metrics`, keyed by (sample name, labels)."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value, 0 when absent (a labelled counter appears on its first increment)."""
    return samples.get((name, frozenset(labels.items())), 0.0)

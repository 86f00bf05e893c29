"""The project's Celery app, in a worker that can also load the fault-injection model.

`celery -A tests.faults.worker_app worker` runs the real tasks and services; the only
difference from `-A config` is that `fault_injection` artifacts load.
"""

from __future__ import annotations

from config.celery import app
from tests.faults.fault_model import register

register()

__all__ = ["app"]

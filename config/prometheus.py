"""Where this host's processes keep their Prometheus samples (prometheus_client's multiprocess
mode), and how a server gets a folder of its own.

gunicorn's workers and Celery's prefork children are separate processes, so a counter cannot
live in memory: each process writes its samples to small files under one root folder
(`PROMETHEUS_MULTIPROC_DIR`), and `/metrics` sums every file there. Each server (a gunicorn
master, a Celery worker) writes into a subfolder of its own that it empties when it starts, so
a restart resets that server's counters and nobody else's. Processes that are no server (tests,
management commands) write straight into the root.

This module imports no prometheus_client: it must run before any metric exists.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from config.env import BASE_DIR, env

#: Set by `prometheus_dir_prepare` for the server's processes: the root, once
#: PROMETHEUS_MULTIPROC_DIR names the server's own subfolder.
_ROOT_VARIABLE = "TOXMOD_PROMETHEUS_ROOT"
_MODE_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prometheus_root() -> Path:
    """The folder `/metrics` reads: PROMETHEUS_MULTIPROC_DIR, or var/prometheus."""
    default = Path(env.str("TOXMOD_VAR_DIR", default=str(BASE_DIR / "var"))) / "prometheus"
    return Path(env.str(_ROOT_VARIABLE, default=env.str(_MODE_VARIABLE, default=str(default))))


def prometheus_dir_prepare(*, server: str) -> Path:
    """Give this server an empty subfolder of the root and write its samples there.

    Call it in the server's main process before any metric is created and before it forks
    (gunicorn's `on_starting`, Celery's `celeryd_init`); its children inherit the choice.
    `server` names the subfolder (anything but letters, digits, `.`, `_` and `-` becomes `_`).
    """
    root = prometheus_root()
    folder = root / re.sub(r"[^A-Za-z0-9_.-]", "_", server)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[_ROOT_VARIABLE] = str(root)
    os.environ[_MODE_VARIABLE] = str(folder)
    return folder

"""gunicorn settings for the web process: `gunicorn -c config/gunicorn.py config.wsgi`.

Command-line flags (--bind, --workers) still apply on top of these.
"""

from __future__ import annotations

import socket
from typing import Any

from config.prometheus import prometheus_dir_prepare


def on_starting(server: Any) -> None:
    """Before the workers fork: an emptied metrics subfolder of this web server's own (named
    after the host, so web containers sharing one metrics volume keep apart)."""
    prometheus_dir_prepare(server=f"web-{socket.gethostname()}")

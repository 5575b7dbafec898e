"""ticket-worker as ops start it (`govops-worker ticket`, a real process): a webhook secret that
is configured but unusable stops the worker at once with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from govkit.stack import free_port


def test_worker_with_a_missing_webhook_secret_file_exits_naming_the_variable(tmp_path):
    env = dict(os.environ, GOVOPS_TICKET_ALERT_TOKEN_FILE=str(tmp_path / "missing"),
               GOVOPS_METRICS_PORT=str(free_port()), GOVOPS_TICKET_HTTP_PORT=str(free_port()))
    worker = Path(sys.executable).parent / "govops-worker"
    out = subprocess.run([str(worker), "ticket"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "GOVOPS_TICKET_ALERT_TOKEN_FILE" in out.stderr and "Traceback" not in out.stderr, out.stderr

"""Runs tests/worker in its own eventlet-monkey-patched process: `python tests/worker/run.py`.

nameko's test helpers need the monkey patch before anything else is imported, and grpcio must
not share that process (its C core blocks the eventlet hub), hence a separate pytest run."""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

os.environ["GOVOPS_EVENTLET_TESTS"] = "1"
here = os.path.dirname(os.path.abspath(__file__))
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", here, *sys.argv[1:]]))

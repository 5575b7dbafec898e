"""pytest imports test modules by basename (rootdir-relative, no packages): two test files with one
name in different folders stop the whole run at collection, so the names must stay unique."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_files_have_unique_names_outside_the_worker_suite():
    # tests/worker runs in its own eventlet-patched pytest process (tests/worker/run.py)
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if "worker" not in p.relative_to(TESTS).parts)
    assert [n for n, count in names.items() if count > 1] == []

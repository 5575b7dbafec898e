"""Waits shared by the tests that drive a whole stack: the services learn of each other through
events, so a call right after a change elsewhere may find the callee's copy not yet caught up. These
are start-up waits with a generous deadline, never timed assertions."""

from __future__ import annotations

import time

import grpc

# What a callee answers while its copy of another service's data is behind: the org unit, staff
# member or group is not known yet.
CATCHING_UP = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION)


def until_caught_up(call, what: str, timeout: float = 60.0, interval: float = 0.2):
    """call() again while it fails with one of CATCHING_UP; its reply once it succeeds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except grpc.RpcError as err:
            if err.code() not in CATCHING_UP or time.monotonic() > deadline:
                raise AssertionError(f"{what}: {err.code()} {err.details()}") from err
            time.sleep(interval)


def wait_until(check, what: str, timeout: float = 60.0, interval: float = 0.2):
    """check() again until it returns something truthy, and that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)

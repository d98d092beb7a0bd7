"""Waiting for something to happen in a test, instead of sleeping and hoping it did.

``wait_for(condition, "what it waits for")`` polls ``condition`` until it returns something
true and returns that, or fails the test after ``timeout`` seconds with a message naming what
it waited for. The deadline is generous on purpose: it only bounds a hang on a loaded machine,
it is never the claim of a test (a test that must prove something is quick measures a count
or an order instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: seconds: long enough for a 2-core machine under full load, short enough to fail a hang
DEFAULT_TIMEOUT = 60.0


def wait_for(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.01,
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}, in vain")
        time.sleep(interval)

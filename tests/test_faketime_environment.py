"""Changing the environment while threads run must not crash `make test-dates`.

libfaketime 0.9.10 reads the C environment inside every timed wait, which Python's threads use
to hand over the GIL; glibc's setenv() may move that environment while another thread reads it.
Under libfaketime, tests/conftest.py keeps os.environ changes in Python and hands them to child
processes explicitly. These tests run in `make test` and again under libfaketime in
`make test-dates`, where, without that, the first one ends in a segmentation fault.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.dates


def test_setting_variables_while_threads_hand_over_the_gil(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    reads = [0, 0, 0]

    def read_the_clock(slot: int) -> None:
        while not stop.is_set():
            time.monotonic()
            reads[slot] += 1

    threads = [threading.Thread(target=read_the_clock, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        with monkeypatch.context() as patch:
            for batch in range(500):
                names = [f"CAMPAIGN_TEST_{batch}_{i}" for i in range(40)]
                for name in names:
                    patch.setenv(name, "x" * (batch % 50))
                for name in names:
                    patch.delenv(name)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert all(reads), reads


def test_a_child_process_sees_a_variable_set_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_TEST_CHILD", "seen")
    printed = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['CAMPAIGN_TEST_CHILD'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout.strip() == "seen"

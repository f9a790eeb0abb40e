"""The console as a real ``campaign web`` process on loopback, attacked over real sockets: too
large bodies and headers are refused before they are read, connections that trickle a request
(slowloris) are cut so others are served, and X-Forwarded-Proto is believed only from the
proxy the administrator named."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import sqlite_utils

from tests.fixtures.simulator import campaign_command

Start = Callable[..., str]


@pytest.fixture
def console(db: sqlite_utils.Database, tmp_path: Path) -> Iterator[Start]:
    """Start ``campaign web --port 0 [args]`` as a real process; returns its base URL.
    Every process started is terminated at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        log = tmp_path / f"web-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*campaign_command(), "web", "--port", "0", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        started.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = re.search(r"Campaign console on (http://\S+/)", log.read_text(errors="replace"))
            if found:
                return found.group(1)
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"the console did not start: {log.read_text(errors='replace')}")

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _address(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def _status_of(sock: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_a_huge_body_is_refused_from_its_length_before_it_is_read(console: Start) -> None:
    """A POST announcing 900 MiB gets 413 at once, without a byte of its body being sent or a
    password being given (nothing is spooled to disk)."""
    url = console(env={"CAMPAIGN_WEB_PASSWORD": "a long team passphrase"})
    with socket.create_connection(_address(url), timeout=5) as sock:
        sock.sendall(
            b"POST /queue/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 943718400\r\n\r\nids=1"
        )
        assert 413 == _status_of(sock)


def test_headers_larger_than_the_console_needs_are_refused(console: Start) -> None:
    """A request with 100 KB of headers gets 431 instead of being read into memory."""
    url = console()
    answer = requests.get(url + "calendar", headers={"X-Pad": "a" * 100_000}, timeout=10)
    assert 431 == answer.status_code


@pytest.mark.slow
def test_connections_trickling_a_request_do_not_lock_people_out(console: Start) -> None:
    """110 connections that send one header byte a second (more than waitress's default limit
    of 100) are cut once their request outlasts its deadline, and a real request is answered."""
    url = console()
    attackers: list[socket.socket] = []
    for _ in range(110):
        s = socket.create_connection(_address(url), timeout=5)
        s.sendall(b"GET /calendar HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        attackers.append(s)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1):
            for s in attackers:
                with contextlib.suppress(OSError):
                    s.send(b"X")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        answer = requests.get(url + "calendar", headers={"Host": "127.0.0.1"}, timeout=40)
    finally:
        stop.set()
        thread.join()
        for s in attackers:
            s.close()
    assert 200 == answer.status_code


def _form_session(url: str, headers: dict[str, str]) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(url + "queue", headers=headers, timeout=10).text
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return session, found.group(1)


def _post_behind_tls(url: str) -> int:
    host = url.split("//", 1)[1].rstrip("/")
    headers = {"X-Forwarded-Proto": "https"}
    session, token = _form_session(url, headers)
    # The browser reached the proxy over https, so it sends the session cookie even when the
    # console marked it Secure (requests would not, to this http:// address).
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    answer = requests.post(
        url + "queue/bulk",
        data={"csrf_token": token, "action": "approve", "next": "/queue"},
        headers={**headers, "Origin": f"https://{host}", "Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )
    return answer.status_code


def test_a_named_proxy_is_believed_about_https(console: Start) -> None:
    """With --proxy naming the TLS proxy, a form sent from the https page is accepted."""
    assert 302 == _post_behind_tls(console("--proxy", "127.0.0.1"))


def test_an_unnamed_proxy_is_not_believed_about_https(console: Start) -> None:
    """Without --proxy, X-Forwarded-Proto is dropped and the https Origin is refused."""
    assert 403 == _post_behind_tls(console())


def test_the_proxy_can_be_named_in_the_environment(console: Start) -> None:
    """CAMPAIGN_WEB_PROXY names the proxy as --proxy does."""
    assert 302 == _post_behind_tls(console(env={"CAMPAIGN_WEB_PROXY": "127.0.0.1"}))

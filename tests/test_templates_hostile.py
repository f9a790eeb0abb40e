"""Hostile templates: includes stay inside the templates folder (no link out of it), and
rendering is bounded in time, output, value size and recursion, each with a clear error."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.errors import TemplateError
from campaign.models import CampaignSettings, Event, Metadata
from posts.render import context, render_post
from posts.templates import source

MD = Metadata(
    campaign=CampaignSettings(name="Panel", timezone="America/New_York"),
    event=Event(title="Policing in Conflict", start=datetime(2026, 12, 6, 15, 0, tzinfo=UTC)),
)
SECRET = "X_API_SECRET=apisecret-SECRET-2222"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def _render(folder: Path) -> str:
    return render_post("recap", context(MD, "recap"), MD.campaign, folder)


@pytest.fixture
def dotenv(tmp_path: Path) -> Path:
    """A .env file with a secret, beside (outside) the templates folder."""
    path = tmp_path / ".env"
    path.write_text(SECRET + "\n")
    return path


def test_an_include_through_a_link_out_of_the_folder_is_refused(
    tmp_path: Path, dotenv: Path
) -> None:
    """{% include %} of a link to a file outside the folder is an error; the secret stays out."""
    folder = _folder(tmp_path, {"recap.j2": "Thanks {% include 'notes.txt' %}"})
    (folder / "notes.txt").symlink_to(dotenv)
    with pytest.raises(TemplateError, match="outside the templates folder") as caught:
        _render(folder)
    assert SECRET not in str(caught.value)


def test_a_template_that_is_a_link_out_of_the_folder_is_refused(
    tmp_path: Path, dotenv: Path
) -> None:
    """A <kind>.j2 that is itself a link to a file outside the folder is refused."""
    folder = _folder(tmp_path, {})
    (folder / "recap.j2").symlink_to(dotenv)
    with pytest.raises(TemplateError, match="outside the templates folder"):
        _render(folder)


def test_showing_a_template_follows_the_same_rule(tmp_path: Path, dotenv: Path) -> None:
    """Reading a template's text to show it refuses a link out of the folder too."""
    folder = _folder(tmp_path, {})
    (folder / "recap.j2").symlink_to(dotenv)
    with pytest.raises(TemplateError, match="outside the templates folder"):
        source("recap.j2", folder)


def test_a_link_inside_the_folder_still_works(tmp_path: Path) -> None:
    """A link to another file in the same folder is followed."""
    folder = _folder(tmp_path, {"recap.j2": "Thanks {% include 'part.txt' %}", "real.txt": "all"})
    (folder / "part.txt").symlink_to(folder / "real.txt")
    assert "Thanks all" == _render(folder)


def test_a_huge_template_file_is_refused(tmp_path: Path) -> None:
    """A template of megabytes is refused before it is read."""
    folder = _folder(tmp_path, {"recap.j2": "x" * 2_000_000})
    with pytest.raises(TemplateError, match="a few lines"):
        _render(folder)


def test_an_include_of_a_device_is_refused(tmp_path: Path) -> None:
    """An include of a link to /dev/zero is refused instead of read forever."""
    folder = _folder(tmp_path, {"recap.j2": "{% include 'z.txt' %}"})
    (folder / "z.txt").symlink_to("/dev/zero")
    with pytest.raises(TemplateError, match="outside the templates folder"):
        _render(folder)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ 'x' * 1000000000 }}", "too large"),
        ("{{ ['x'] * 1000000000 }}", "too large"),
        ("{{ 9 ** 999999999 }}", "too large"),
        ("{{ 10 ** 100000 }}", "too large"),
        ("{{ 'x' | center(1000000000) }}", "too large"),
        ("{{ 'x' | indent(1000000000, true) }}x", "too large"),
        ("{% for i in range(100000) %}xxxxxxxx{% endfor %}", "more than 20,000 characters"),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "calls itself"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x",
            "takes too long",
        ),
        (
            "{% set s = 'x' * 20000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}x",
            "takes too long",
        ),
    ],
)
def test_rendering_is_bounded(tmp_path: Path, body: str, message: str) -> None:
    """Huge values, huge output, endless recursion and loops in loops end in a TemplateError
    that names the template and the limit."""
    folder = _folder(tmp_path, {"recap.j2": body})
    with pytest.raises(TemplateError, match=f"recap.j2.*{message}"):
        _render(folder)


def test_rendering_off_the_main_thread_is_bounded_too(tmp_path: Path) -> None:
    """On another thread (the web console's), loops in loops over range end the same way."""
    body = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x"
    folder = _folder(tmp_path, {"recap.j2": body})
    outcome: list[Any] = []

    def work() -> None:
        try:
            _render(folder)
        except TemplateError as e:
            outcome.append(str(e))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert (False, True) == (thread.is_alive(), "takes too long" in "".join(outcome))


def test_ordinary_arithmetic_still_works(tmp_path: Path) -> None:
    """Small products and powers are computed as before."""
    folder = _folder(tmp_path, {"recap.j2": "{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 6 * 7 }}"})
    assert "ababab 1024 42" == _render(folder)


def test_the_cli_says_which_template_and_exits_2(
    db: sqlite_utils.Database, run: Any, tmp_path: Path, sample_yaml: Path, dotenv: Path
) -> None:
    """`campaign plan --templates` with a link out of the folder: one Error line, exit 2."""
    assert 0 == run("load", sample_yaml).exit_code
    folder = _folder(tmp_path, {"recap.j2": "{% include 'x.txt' %}"})
    (folder / "x.txt").symlink_to(dotenv)
    result = run("plan", "--templates", folder)
    assert (2, True, False) == (
        result.exit_code,
        result.output.startswith("Error: ") and "outside the templates folder" in result.output,
        SECRET in result.output,
    )

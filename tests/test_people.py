"""The team on the command line: `campaign users add|list|passwd|role|disable`, Argon2id hashes
that never let the clear password out, and the role checks on `campaign` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import Result

from campaign import people

PASSWORD = "correct horse battery staple"
Run = Callable[..., Result]
REAL_HASHER = people._hasher


@pytest.fixture(autouse=True)
def workspace(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Every test here works on an existing workspace (only `campaign init` creates one)."""
    return db


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost, so a test's dozen hashes take milliseconds, not seconds
    (the real cost is pinned once, in test_people.py)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def add(run: Run, name: str, role: str, password: str = PASSWORD) -> Result:
    """``campaign users add NAME --role ROLE --password-stdin``, the password on stdin (the
    database made first with ``campaign init``: only init creates one)."""
    assert 0 == run("init").exit_code
    return run("users", "add", name, "--role", role, "--password-stdin", input=password + "\n")


def test_the_hash_is_argon2id_at_the_librarys_recommended_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside the tests, passwords are hashed with argon2-cffi's defaults: Argon2id, 64 MiB."""
    monkeypatch.setattr(people, "_hasher", REAL_HASHER)
    hashed = people.hash_password(PASSWORD)
    assert "$argon2id$v=19$m=65536,t=3,p=4$" == hashed[: len("$argon2id$v=19$m=65536,t=3,p=4$")]


def test_add_stores_an_argon2id_hash_and_never_the_password(
    run: Run, db: sqlite_utils.Database, db_path: Path
) -> None:
    """`users add` keeps only an Argon2id hash: the password is not in the file nor the output."""
    result = add(run, "dana", "editor")
    assert 0 == result.exit_code
    assert "Added dana as editor.\n" == result.output
    stored = db.execute("SELECT password_hash FROM people WHERE name = 'dana'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    db.conn.close()
    assert PASSWORD.encode() not in db_path.read_bytes()
    assert PASSWORD not in result.output


def test_add_prompts_twice_and_refuses_a_mismatch(run: Run, db: sqlite_utils.Database) -> None:
    """Without --password-stdin the password is asked twice; two different answers are refused."""
    result = run("users", "add", "dana", "--role", "editor", input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert 0 != result.exit_code
    assert "Error: The two entered values do not match." in result.output
    assert PASSWORD not in result.output
    assert [] == people.list_people(db)
    ok = run("users", "add", "dana", "--role", "editor", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "Added dana as editor." in ok.output
    assert people.authenticate(db, "dana", PASSWORD) is not None


def test_a_short_password_is_refused_without_repeating_it(
    run: Run, db: sqlite_utils.Database
) -> None:
    """A password under 12 characters is refused with exit code 2, and the message omits it."""
    result = add(run, "dana", "editor", "tiny-pw")
    assert 2 == result.exit_code
    assert "tiny-pw" not in result.output
    assert "at least 12 characters" in result.output


def test_list_json_names_roles_and_state(run: Run) -> None:
    """`users list --json` gives each person's name, role and whether they are disabled."""
    add(run, "dana", "editor")
    add(run, "ed", "approver")
    run("users", "disable", "ed")
    output = run("users", "list", "--json").output
    listed = json.loads(output)
    assert [("dana", "editor", False), ("ed", "approver", True)] == [
        (p["name"], p["role"], p["disabled"]) for p in listed
    ]
    assert "$argon2" not in output


def test_passwd_and_role_change_the_person(run: Run, db: sqlite_utils.Database) -> None:
    """`users passwd` replaces the password (the old one stops working); `users role` the role."""
    add(run, "dana", "editor")
    result = run("users", "passwd", "dana", "--password-stdin", input="a brand new passphrase\n")
    assert "Changed the password of dana.\n" == result.output
    assert people.authenticate(db, "dana", PASSWORD) is None
    assert people.authenticate(db, "dana", "a brand new passphrase") is not None
    assert "dana is now approver.\n" == run("users", "role", "dana", "approver").output
    assert people.Role.APPROVER == people.get(db, "dana").role


def test_a_disabled_person_cannot_sign_in(run: Run, db: sqlite_utils.Database) -> None:
    """After `users disable` the right password no longer signs the person in."""
    add(run, "dana", "editor")
    run("users", "disable", "dana")
    assert people.authenticate(db, "dana", PASSWORD) is None


def test_unknown_name_and_wrong_password_get_the_same_answer(db: sqlite_utils.Database) -> None:
    """Signing in with an unknown name and with a wrong password both give None."""
    people.add(db, "dana", "editor", PASSWORD)
    assert (None, None) == (
        people.authenticate(db, "nobody", PASSWORD),
        people.authenticate(db, "dana", PASSWORD + "x"),
    )


def test_only_an_admin_or_the_files_owner_manages_people(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor cannot add people; nor can a stranger; the database file's owner always can."""
    add(run, "dana", "editor")
    with monkeypatch.context() as m:
        m.setattr(people, "owns", lambda path: False)
        editor = run(
            "users",
            "add",
            "x1",
            "--role",
            "viewer",
            "--password-stdin",
            input=PASSWORD,
            env={"CAMPAIGN_USER": "dana"},
        )
        assert 2 == editor.exit_code
        assert "adding people needs the admin role (or higher); dana is editor" in editor.output
        stranger = run(
            "users",
            "add",
            "x2",
            "--role",
            "viewer",
            "--password-stdin",
            input=PASSWORD,
            env={"CAMPAIGN_USER": "mallory"},
        )
        assert 2 == stranger.exit_code
        assert "mallory is not a person of this workspace" in stranger.output
    owner = run(
        "users",
        "add",
        "x3",
        "--role",
        "viewer",
        "--password-stdin",
        input=PASSWORD,
        env={"CAMPAIGN_USER": "dana"},
    )
    assert "Added x3 as viewer.\n" == owner.output


def test_duplicate_name_and_unknown_role_are_refused(run: Run) -> None:
    """Adding a name twice, or a role that does not exist, exits 2 saying what to do."""
    add(run, "dana", "editor")
    again = add(run, "Dana", "viewer")
    assert 2 == again.exit_code
    assert "already a person of this workspace" in again.output
    bad = run("users", "add", "x", "--role", "boss", "--password-stdin", input=PASSWORD)
    assert 2 == bad.exit_code
    assert "'boss' is not one of" in bad.output


def test_cli_role_checks_apply_to_people(run: Run, sample_yaml: Path) -> None:
    """On the CLI a person of the workspace (CAMPAIGN_USER) is held to their role."""
    run("load", sample_yaml)
    add(run, "vic", "viewer")
    add(run, "dana", "editor")
    viewer = run(
        "posts", "add", "--text", "Hi", "--at", "2030-01-01T10:00", env={"CAMPAIGN_USER": "vic"}
    )
    assert 2 == viewer.exit_code
    assert (
        "Error: adding posts needs the editor role (or higher); vic is viewer: ask an "
        "administrator (`campaign users role vic editor`)\n"
    ) == viewer.output
    post_id = run(
        "posts", "add", "--text", "Hi", "--at", "2030-01-01T10:00", env={"CAMPAIGN_USER": "dana"}
    ).output.strip()
    refused = run("posts", "approve", post_id, env={"CAMPAIGN_USER": "dana"})
    assert 2 == refused.exit_code
    assert "approving posts needs the approver role" in refused.output
    marked = run("mentions", "mark", "1", "--status", "flagged", env={"CAMPAIGN_USER": "vic"})
    assert 2 == marked.exit_code
    assert "marking collected posts needs the reviewer role" in marked.output


def test_only_an_admin_loads_the_campaigns_settings(run: Run, sample_yaml: Path) -> None:
    """`campaign load` (the campaign's settings) needs the admin role for a person."""
    add(run, "dana", "approver")
    add(run, "ann", "admin")
    refused = run("load", sample_yaml, env={"CAMPAIGN_USER": "dana"})
    assert 2 == refused.exit_code
    assert "loading the campaign's settings needs the admin role (or higher)" in refused.output
    assert 0 == run("load", sample_yaml, env={"CAMPAIGN_USER": "ann"}).exit_code

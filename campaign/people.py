"""The team: the people who may work on the workspace, their roles, and their passwords.

This module owns the ``people`` table. Passwords are hashed with Argon2id (argon2-cffi's
``PasswordHasher``, whose default type is ID); only the hash is stored, and no message, log line
or return value carries the clear password. A workspace with no people is the one-person setup:
the console keeps its ``CAMPAIGN_WEB_PASSWORD`` mode and nothing checks roles.

Roles form a ladder, each one able to do what the ones below it do:

- ``viewer`` reads;
- ``reviewer`` marks and annotates the inbox and drafts replies;
- ``editor`` composes, edits, plans and cancels drafts;
- ``approver`` is an editor who may approve;
- ``admin`` manages people and settings.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError, NotFoundError
from campaign.store import immediate

if TYPE_CHECKING:
    from argon2 import PasswordHasher


class Role(StrEnum):
    """What a person may do, lowest first."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


ROLES = tuple(r.value for r in Role)

# What each kind of work needs: the lowest role allowed to do it.
NEEDS: dict[str, Role] = {
    "read": Role.VIEWER,
    "review": Role.REVIEWER,  # mark and annotate the inbox
    "reply": Role.REVIEWER,  # draft a reply to a post
    "edit": Role.EDITOR,  # compose, edit, reschedule, plan, cancel, back to draft
    "approve": Role.APPROVER,
    "admin": Role.ADMIN,  # people and campaign settings
}

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12  # characters


class AccessError(CampaignError):
    "A person's role does not allow this"

    def __init__(self, message: str, needed: Role | None = None) -> None:
        super().__init__(message)
        self.needed = needed


@dataclass(frozen=True)
class Person:
    """One member of the team (never carries the password or its hash)."""

    name: str
    role: Role
    disabled: bool
    password_changed_at: datetime
    created_at: datetime

    def may(self, work: str) -> bool:
        """Whether this person's role allows ``work`` (a key of :data:`NEEDS`)."""
        return not self.disabled and self.role.rank >= NEEDS[work].rank

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role.value,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "password_changed_at": self.password_changed_at.isoformat(),
        }


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, with the library's current recommended costs


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) of ``password``."""
    return _hasher().hash(password)


@functools.cache
def _stand_in_hash() -> str:
    """A hash of random bytes that no password matches: verified against when the name is
    unknown, so an unknown name costs as long as a wrong password."""
    return hash_password(os.urandom(16).hex())


def _verify(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored or _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def check_name(name: str) -> str:
    """``name`` if it can be a login name, else a refusal saying what is allowed."""
    if not NAME_RE.fullmatch(name):
        raise CampaignError(
            f"{name!r} cannot be a login name: use 1 to 64 letters, digits and . _ @ -, "
            "starting with a letter or digit (e.g. dana or dana.lee)"
        )
    return name


def check_role(role: str) -> Role:
    """``role`` as a :class:`Role`, else a refusal listing the roles."""
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise CampaignError(f"unknown role {role!r}: use one of {', '.join(ROLES)}") from None


def check_password(password: str) -> str:
    """``password`` if it is long enough, else a refusal (which never repeats it)."""
    if len(password.strip()) < MIN_PASSWORD:
        raise CampaignError(
            f"the password is too short: use at least {MIN_PASSWORD} characters "
            "(a passphrase of a few words is easiest)"
        )
    return password


_COLUMNS = "name, role, disabled_at, password_changed_at, created_at"


def _person(row: tuple[str, str, str | None, str, str]) -> Person:
    return Person(
        name=row[0],
        role=Role(row[1]),
        disabled=row[2] is not None,
        password_changed_at=from_db(row[3]),
        created_at=from_db(row[4]),
    )


def any_people(db: sqlite_utils.Database) -> bool:
    """Whether the workspace has a team (anyone at all, disabled people included)."""
    return db.execute("SELECT 1 FROM people LIMIT 1").fetchone() is not None


def find(db: sqlite_utils.Database, name: str) -> Person | None:
    """The person called ``name`` (any case), or None."""
    row = db.execute(f"SELECT {_COLUMNS} FROM people WHERE name = ?", [name]).fetchone()
    return _person(row) if row else None


def get(db: sqlite_utils.Database, name: str) -> Person:
    """The person called ``name``, or a refusal saying how to list them."""
    person = find(db, name)
    if person is None:
        raise NotFoundError(f"no person called {name!r}: see `campaign users list`")
    return person


def list_people(db: sqlite_utils.Database) -> list[Person]:
    """Everyone, by name."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM people ORDER BY name").fetchall()
    return [_person(r) for r in rows]


def add(db: sqlite_utils.Database, name: str, role: str, password: str) -> Person:
    """Add ``name`` with ``role`` and ``password`` (stored only as its Argon2id hash)."""
    check_name(name)
    the_role = check_role(role)
    hashed = hash_password(check_password(password))
    stamp = to_db(now())
    with immediate(db):
        if find(db, name) is not None:
            raise CampaignError(
                f"{name!r} is already a person of this workspace: change their role with "
                f"`campaign users role {name} ROLE` or their password with "
                f"`campaign users passwd {name}`"
            )
        db.execute(
            "INSERT INTO people (name, role, password_hash, password_changed_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [name, the_role.value, hashed, stamp, stamp, stamp],
        )
    return get(db, name)


def set_password(db: sqlite_utils.Database, name: str, password: str) -> Person:
    """Give ``name`` a new password; their open console sessions end."""
    hashed = hash_password(check_password(password))
    stamp = to_db(now())
    with immediate(db):
        person = get(db, name)
        db.execute(
            "UPDATE people SET password_hash = ?, password_changed_at = ?, updated_at = ? "
            "WHERE name = ?",
            [hashed, stamp, stamp, person.name],
        )
    return get(db, name)


def set_role(db: sqlite_utils.Database, name: str, role: str) -> Person:
    """Give ``name`` the role ``role``."""
    the_role = check_role(role)
    with immediate(db):
        person = get(db, name)
        db.execute(
            "UPDATE people SET role = ?, updated_at = ? WHERE name = ?",
            [the_role.value, to_db(now()), person.name],
        )
    return get(db, name)


def disable(db: sqlite_utils.Database, name: str) -> Person:
    """Stop ``name`` signing in or acting; their history keeps their name."""
    with immediate(db):
        person = get(db, name)
        if not person.disabled:
            stamp = to_db(now())
            db.execute(
                "UPDATE people SET disabled_at = ?, updated_at = ? WHERE name = ?",
                [stamp, stamp, person.name],
            )
    return get(db, name)


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> Person | None:
    """The person if ``password`` is theirs and they are not disabled, else None.

    An unknown name is checked against a stand-in hash, so it takes as long as a wrong password.
    """
    row = db.execute(
        f"SELECT {_COLUMNS}, password_hash FROM people WHERE name = ?", [name]
    ).fetchone()
    ok = _verify(row[5] if row else None, password)
    if not ok or row is None:
        return None
    person = _person(row[:5])
    return None if person.disabled else person


def refusal(person: Person, work: str, what: str) -> AccessError:
    """The refusal for ``person`` trying ``what`` (in words) that needs the role for ``work``."""
    needed = NEEDS[work]
    if person.disabled:
        return AccessError(
            f"{person.name} is disabled in this workspace and cannot {what}: ask an administrator",
            needed,
        )
    return AccessError(
        f"{what} needs the {needed.value} role (or higher); {person.name} is {person.role.value}: "
        f"ask an administrator (`campaign users role {person.name} {needed.value}`)",
        needed,
    )


def require(person: Person, work: str, what: str) -> None:
    """A refusal unless ``person`` may do ``work``."""
    if not person.may(work):
        raise refusal(person, work, what)


def owns(path: str | os.PathLike[str]) -> bool:
    """Whether the account running this process owns the database file (its administrator)."""
    try:
        return Path(path).stat().st_uid == os.getuid()
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class Acting:
    """Who is acting from the command line: a name, and the person behind it if any."""

    name: str
    person: Person | None  # None: one-person setup, or the file's owner acting as administrator


def on_cli(db: sqlite_utils.Database, name: str, db_path: str | os.PathLike[str]) -> Acting:
    """Who ``name`` (``CAMPAIGN_USER`` or the login name) is on the command line.

    With no people: anyone, unchecked (the one-person setup). A person of the workspace: that
    person, with their role. Anyone else: the file's owner acts as the administrator; others are
    refused, since the team decides who works on the campaign.
    """
    if not any_people(db):
        return Acting(name, None)
    person = find(db, name)
    if person is not None:
        return Acting(person.name, person)
    if owns(db_path):
        return Acting(name, None)
    raise AccessError(
        f"{name} is not a person of this workspace: ask an administrator to add you "
        f"(`campaign users add {name} --role ROLE`), or set CAMPAIGN_USER to your name there"
    )

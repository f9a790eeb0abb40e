"""Migrations for the collected conversation (mentions, authors, full-text index, review audit)."""

from __future__ import annotations

from sqlite_utils import Migrations

migrations = Migrations("mentions")

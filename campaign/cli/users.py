"""``campaign users …``: the team: add people, list them, change a password or a role, disable.

Passwords are read from the terminal (asked twice, not echoed) or, with ``--password-stdin``,
from the first line of standard input; they are hashed at once (Argon2id) and never printed.
"""

from __future__ import annotations

import sys

import click

from campaign.cli.common import CliContext, pass_ctx, print_json


def _admin(obj: CliContext, what: str) -> None:
    """Only an administrator manages people; with no people yet, whoever sets the team up. The
    database file's owner stays the administrator, so a team cannot lock itself out."""
    from campaign.people import any_people, find, owns, require

    db = obj.db()
    if not any_people(db) or owns(obj.db_path):
        return
    person = find(db, obj.person)
    if person is None:
        obj.acting()  # the refusal for someone who is not in the team
        return
    require(person, "admin", what)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt="Password again", err=True
    )
    return value


@click.group()
def users() -> None:
    """The team: people, roles and passwords.

    Once a workspace has people, the console asks everyone to sign in and every change checks
    the person's role: viewer reads; reviewer marks and annotates the inbox and drafts replies;
    editor composes, edits, plans and cancels; approver also approves; admin manages people and
    settings. A workspace with no people is the one-person setup (CAMPAIGN_WEB_PASSWORD).
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["viewer", "reviewer", "editor", "approver", "admin"]),
    help="What the person may do.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_ctx
def add(obj: CliContext, name: str, role: str, password_stdin: bool) -> None:
    """Add a person to the team (asks for their password twice)."""
    from campaign.people import add as add_person
    from campaign.people import check_name, check_role

    _admin(obj, "adding people")
    check_name(name)  # before asking for a password that could not be used
    check_role(role)
    person = add_person(obj.db(), name, role, _password(password_stdin))
    click.echo(f"Added {person.name} as {person.role.value}.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of lines.")
@pass_ctx
def list_users(obj: CliContext, as_json: bool) -> None:
    """List the team: name, role, and whether they may sign in."""
    from campaign.people import list_people

    found = list_people(obj.db())
    if as_json:
        print_json([p.to_json() for p in found])
        return
    if not found:
        click.echo(
            "No people yet: this is the one-person setup. Add the first with "
            "`campaign users add NAME --role admin`."
        )
        return
    width = max(len(p.name) for p in found)
    for p in found:
        state = "disabled" if p.disabled else "active"
        click.echo(f"{p.name:<{width}}  {p.role.value:<8}  {state}")


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_ctx
def passwd(obj: CliContext, name: str, password_stdin: bool) -> None:
    """Set a person's password (their open console sessions end)."""
    from campaign.people import get, set_password

    if name.lower() != obj.person.lower():
        _admin(obj, "changing someone else's password")
    get(obj.db(), name)  # an unknown name is refused before asking for a password
    person = set_password(obj.db(), name, _password(password_stdin))
    click.echo(f"Changed the password of {person.name}.")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "reviewer", "editor", "approver", "admin"]))
@pass_ctx
def role(obj: CliContext, name: str, role: str) -> None:
    """Give a person another role."""
    from campaign.people import set_role

    _admin(obj, "changing roles")
    person = set_role(obj.db(), name, role)
    click.echo(f"{person.name} is now {person.role.value}.")


@users.command("disable")
@click.argument("name")
@pass_ctx
def disable(obj: CliContext, name: str) -> None:
    """Stop a person signing in or acting (their history keeps their name)."""
    from campaign.people import disable as disable_person

    _admin(obj, "disabling people")
    person = disable_person(obj.db(), name)
    click.echo(f"Disabled {person.name}: they can no longer sign in or act.")

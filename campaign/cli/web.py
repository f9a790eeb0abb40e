"""``campaign web``: serve the web console."""

from __future__ import annotations

import click

from campaign.cli.common import CliContext, cannot_listen, pass_ctx


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this machine needs CAMPAIGN_WEB_PASSWORD.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free one).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name people use to reach the console (repeatable).",
)
@pass_ctx
def web(obj: CliContext, host: str, port: int, allow_hosts: tuple[str, ...]) -> None:
    """Serve the web console for staff and reviewers.

    Calendar, queue and composer, inbox, report and status, in a browser. It reads and writes the same database as the daemon. It listens only on this machine
    unless --host says otherwise; then set CAMPAIGN_WEB_PASSWORD first (people sign in with
    any name and that password; the name goes in the audit trail).
    """
    from campaign.web.server import create_server, url_of

    obj.db()  # a missing database is refused here, not created
    try:
        server = create_server(obj.db_path, host, port, allow_hosts=allow_hosts)
    except OSError as e:
        if e.filename:
            raise
        raise cannot_listen(host, port, e, "campaign web") from e
    click.echo(f"Campaign console on {url_of(server)} (Ctrl-C to stop)", nl=True)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()

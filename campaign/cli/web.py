"""``campaign web``: serve the web console."""

from __future__ import annotations

import click

from campaign.cli.common import CliContext, cannot_listen, pass_ctx


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this machine needs CAMPAIGN_WEB_PASSWORD, "
    "unless the workspace has people (campaign users add).",
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
@click.option(
    "--trusted-user-header",
    metavar="HEADER",
    help="Single sign-on: take the person's name from this header set by a proxy on this "
    "machine (e.g. X-Forwarded-User). Loopback --host only; only people of the workspace.",
)
@click.option(
    "--proxy",
    envvar="CAMPAIGN_WEB_PROXY",
    metavar="ADDRESS",
    help="Address of the reverse proxy (TLS) in front of the console: its X-Forwarded-Proto and "
    "X-Forwarded-For are believed, nobody else's. Also CAMPAIGN_WEB_PROXY.",
)
@pass_ctx
def web(
    obj: CliContext,
    host: str,
    port: int,
    allow_hosts: tuple[str, ...],
    trusted_user_header: str | None,
    proxy: str | None,
) -> None:
    """Serve the web console for staff and reviewers.

    Calendar, queue and composer, inbox, report and status, in a browser. It reads and writes the same database as the daemon. It listens only on this machine
    unless --host says otherwise; then set CAMPAIGN_WEB_PASSWORD first (people sign in with
    any name and that password; the name goes in the audit trail). Once the workspace has
    people (`campaign users add`), each signs in with their own name and password instead.
    """
    from campaign.web.server import create_server, url_of

    obj.db()  # a missing database is refused here, not created
    try:
        server = create_server(
            obj.db_path,
            host,
            port,
            allow_hosts=allow_hosts,
            trusted_user_header=trusted_user_header,
            proxy=proxy,
        )
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

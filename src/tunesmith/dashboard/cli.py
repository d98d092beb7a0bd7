"""``tunesmith dashboard``: serve the web dashboard on a store."""

from __future__ import annotations

import os

import click

from tunesmith.cli.common import friendly_errors, storage_option

__all__ = ["dashboard"]


@click.command()
@storage_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; one other than the loopback needs --token.",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--token",
    default=None,
    metavar="TOKEN",
    help="Require this token on every request (8+ characters of A-Z a-z 0-9 . _ ~ -) "
    "[default: $TUNESMITH_DASHBOARD_TOKEN, else none].",
)
@friendly_errors
def dashboard(storage: str | None, host: str, port: int, token: str | None) -> None:
    """Serve a web dashboard of the studies in the store: trial table, learning curves, best
    value over time, parallel coordinates, rungs, importance, failures, Pareto front and CSV
    export, updated live while studies run. Read-only. Stop it with Ctrl-C."""
    from tunesmith.dashboard.server import make_server

    token = token or os.environ.get("TUNESMITH_DASHBOARD_TOKEN") or None
    server = make_server(storage, host=host, port=port, token=token)
    url = server.url + (f"?token={token}" if token else "")
    click.echo(f"tunesmith dashboard on {url} (Ctrl-C to stop)")
    if server.missing_store:
        click.echo(
            f"note: {server.missing_store.split(';')[0]}; the page lists the studies once a run "
            "creates it"
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
        server.api.close()

"""`easymo webhook serve`: the receiver on a server, next to easyMO's backend."""

from __future__ import annotations

import logging
import threading
from typing import Any

import click

from easymo_core.cli.context import state
from easymo_core.config import sandbox_defaults as sd
from easymo_core.secrets import get_secret

log = logging.getLogger(__name__)


@click.group()
def webhook() -> None:
    """The webhook receiver: Meta's statuses and replies into the shared database."""


@webhook.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 behind a proxy)."
)
@click.option("--port", type=int, default=sd.WEBHOOK_PORT, show_default=True)
@click.option("--path", default="/webhook", show_default=True)
@click.option(
    "--max-queue", type=int, default=1000, show_default=True, help="POSTs held before answering 503."
)
@click.option("--no-flows", is_flag=True, help="Do not answer inbound messages with conversation flows.")
def serve(host: str, port: int, path: str, max_queue: int, no_flows: bool) -> None:
    """Run the receiver until Ctrl-C. Secrets come from the keyring or EASYMO_APP_SECRET."""
    from easymo_core.errors import ConfigError
    from easymo_core.webhook.server import WebhookServer

    st = state()
    profile = st.profile()
    app_secret = get_secret(profile, "app-secret")
    if not profile.verify_token:
        raise ConfigError(
            f"profile {profile.name!r} has no webhook verify token",
            hint="set EASYMO_VERIFY_TOKEN or `easymo profile add ... --verify-token T`",
        )
    server = WebhookServer(
        st.database(),
        app_secret=app_secret,
        verify_token=profile.verify_token,
        host=host,
        port=port,
        path=path,
        max_queue=max_queue,
    )
    flows = None if no_flows else _flow_engine(st, server)
    try:
        server.start()
    except OSError as exc:
        raise ConfigError(str(exc), hint="pick another --port") from None
    click.echo(
        f"webhook receiver for profile {profile.name!r} on {server.url} (database {st.database().dialect})"
    )
    click.echo("Ctrl-C to stop")
    try:
        run_upkeep(server, st.database().url, threading.Event())
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if flows is not None:
            flows.stop()
        click.echo("stopped")


def run_upkeep(server: Any, url: str, stop: threading.Event, interval_s: float = 1.0) -> None:
    """The receiver's upkeep every ``interval_s`` until ``stop`` is set or the receiver dies.

    A failing database does not stop the receiver: it keeps answering (a full queue answers
    503, so Meta retries), the POSTs it stored wait, and the upkeep runs again next time.
    The operator reads one line per cause, not one per second.
    """
    failing: str | None = None
    while not stop.wait(interval_s):
        if not server.running:
            raise click.ClickException("the receiver stopped unexpectedly")
        try:
            server.intake.upkeep()
        except Exception as exc:
            failing, previous = _upkeep_failure(url, exc), failing
            if failing != previous:
                click.echo(f"warning: {failing} (retrying every second)", err=True)
                log.info("receiver upkeep failing: %s", failing)
            else:  # the server's log on stderr would repeat the warning every second
                log.debug("receiver upkeep still failing: %s", failing)
            continue
        if failing is not None:
            click.echo("the database answers again: upkeep resumed", err=True)
            log.info("receiver upkeep resumed")
            failing = None


def _upkeep_failure(url: str, exc: Exception) -> str:
    """One line for the operator: what the database said and what to do, no stack trace."""
    from easymo_core.errors import EasymoError
    from easymo_core.storage.engine import explain_operational_error

    err = exc if isinstance(exc, EasymoError) else explain_operational_error(exc, url)
    return err.one_line()


def _flow_engine(st: Any, server: Any) -> Any:
    """The profile's flow engine on this receiver's ingest, or None (with a warning) when
    the profile cannot send: a receiver without an access token still stores events."""
    from easymo_core.errors import EasymoError

    try:
        engine = st.services().flows
    except EasymoError as exc:
        click.echo(f"warning: conversation flows are off: {exc.one_line()}", err=True)
        return None
    engine.attach(server.intake.ingest)
    engine.start_background()
    return engine

"""`easymo webhook serve`: the receiver on a server, next to easyMO's backend."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

import click

from easymo_core.cli.context import acts, state
from easymo_core.config import sandbox_defaults as sd
from easymo_core.secrets import get_secret
from easymo_core.webhook.limits import DURABLE_TIMEOUT_S, ReceiverLimits

log = logging.getLogger(__name__)
_LIMITS = ReceiverLimits()
STALL_EXIT_S = 120.0
STALL_EXIT_CODE = 3


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
@click.option("--body-timeout", type=float, default=_LIMITS.body_timeout_s, show_default=True,
              help="Seconds to receive a POST's body; slower clients get 408 and are disconnected.")
@click.option("--header-timeout", type=float, default=_LIMITS.header_timeout_s, show_default=True,
              help="Seconds a new connection may take to send its request headers.")
@click.option("--max-connections", type=int, default=_LIMITS.max_connections, show_default=True,
              help="Connections open at once; more are closed at once.")
@click.option("--max-unverified-mb", type=float, default=_LIMITS.max_unverified_bytes / 2**20,
              show_default=True, help="MiB of bodies held, over all connections, before their signature "
              "is checked; beyond it 503.")
@click.option("--durable-timeout", type=float, default=DURABLE_TIMEOUT_S, show_default=True,
              help="Seconds a POST waits to be stored before it gets 503 (Meta retries).")
@click.option("--stall-exit", type=float, default=STALL_EXIT_S, show_default=True,
              help="Exit with status 3 when a POST has waited this many seconds to be stored, or the "
              "intake's writer is gone, so that a supervisor restarts the receiver.")
def serve(host: str, port: int, path: str, max_queue: int, no_flows: bool, body_timeout: float,
          header_timeout: float, max_connections: int, max_unverified_mb: float, durable_timeout: float,
          stall_exit: float) -> None:
    """Run the receiver until Ctrl-C. Secrets come from the keyring or EASYMO_APP_SECRET.

    GET /health answers 503 with the reason when the intake is stalled.
    """
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
    limits = ReceiverLimits(
        body_timeout_s=body_timeout, header_timeout_s=header_timeout, max_connections=max_connections,
        max_unverified_bytes=int(max_unverified_mb * 2**20),
    )
    server = WebhookServer(
        st.database(),
        app_secret=app_secret,
        verify_token=profile.verify_token,
        host=host,
        port=port,
        path=path,
        max_queue=max_queue,
        limits=limits,
        durable_timeout_s=durable_timeout,
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
    stop = threading.Event()
    # The upkeep runs in a thread of its own: on a locked table it can block for as long as
    # the lock is held, and the watch below must still see the stall and act on it.
    upkeep = threading.Thread(target=_upkeep_thread, args=(server, st.database().url, stop),
                              name="webhook-upkeep", daemon=True)
    upkeep.start()
    try:
        reason = watch(server, stop, stall_exit_s=stall_exit)
    except KeyboardInterrupt:
        reason = None
    finally:
        stop.set()
        server.stop()
        if flows is not None:
            flows.stop()
    if reason is not None:
        log.error("webhook receiver exiting: %s", reason)
        click.echo(f"error: {reason}; exiting so that the supervisor restarts the receiver", err=True)
        raise SystemExit(STALL_EXIT_CODE)
    click.echo("stopped")


def watch(server: Any, stop: threading.Event, *, stall_exit_s: float = STALL_EXIT_S,
          interval_s: float = 1.0) -> str | None:
    """Until ``stop`` is set: None; or why the receiver must be restarted (it stopped, its
    intake's writer is gone, or a POST has waited ``stall_exit_s`` to be stored).

    A stall shorter than that is logged once (and /health says 503 meanwhile): a backup
    or a VACUUM holding the database for a while is no reason to restart.
    """
    stalled = False
    while not stop.wait(interval_s):
        if not server.running:
            return "the receiver stopped unexpectedly"
        health = server.intake.health()
        if not health.writer_alive:
            return "the webhook intake's writer stopped"
        oldest = health.oldest_pending_s
        if oldest is not None and oldest >= stall_exit_s:
            cause = health.last_error or "no error reported"
            return f"a webhook POST has waited {oldest:.0f} s to be stored ({cause})"
        if not health.ok and not stalled:
            click.echo(f"warning: webhook intake unhealthy: {'; '.join(health.problems)}", err=True)
            log.warning("webhook intake unhealthy: %s", "; ".join(health.problems))
        elif health.ok and stalled:
            click.echo("the webhook intake is healthy again", err=True)
            log.info("webhook intake healthy again")
        stalled = not health.ok
    return None


def _upkeep_thread(server: Any, url: str, stop: threading.Event) -> None:
    with contextlib.suppress(click.ClickException):  # the receiver stopped: watch() reports it
        run_upkeep(server, url, stop)


@webhook.command("dead-letters")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dead letter, in a list.")
def dead_letters(as_json: bool) -> None:
    """List webhook POSTs that failed to ingest several times (kept with their body and error)."""
    from easymo_core.webhook.dead_letters import list_dead_letters

    letters = list_dead_letters(state().database())
    if as_json:
        click.echo(json.dumps([
            {"id": d.id, "event_id": d.event_id, "received_at": d.received_at.isoformat(),
             "failed_at": d.failed_at.isoformat(), "attempts": d.attempts, "error": d.error,
             "bytes": d.size, "body": d.body.decode("utf-8", "replace")}
            for d in letters
        ], indent=2))
        return
    if not letters:
        click.echo("no dead letters")
        return
    for d in letters:
        click.echo(f"{d.id:>6}  {d.failed_at:%Y-%m-%d %H:%M:%S}  {d.attempts} attempts  "
                   f"{d.size} bytes  {d.error[:120]}")
    click.echo(f"{len(letters)} dead letter(s); `easymo webhook replay ID` or `--all` after a fix")


@webhook.command()
@click.argument("letter_id", metavar="ID", type=int, required=False)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@acts("replay webhook dead letters", also=("webhook",))  # the receiver's login re-ingests
def replay(letter_id: int | None, replay_all: bool) -> None:
    """Ingest dead letters again (after a fix); one that fails again stays, with its new error."""
    from easymo_core.errors import ConfigError
    from easymo_core.webhook.dead_letters import replay as replay_letters

    if (letter_id is None) == (not replay_all):
        raise click.UsageError("give one dead letter's ID or --all")
    db = state().database()
    results = replay_letters(db, None if letter_id is None else [letter_id])
    if letter_id is not None and not results:
        raise ConfigError(f"no dead letter {letter_id} waiting to be replayed",
                          hint="`easymo webhook dead-letters` lists them")
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"{r.id}: {'ingested' if r.ok else 'failed again: ' + (r.error or '')}")
    click.echo(f"{len(results) - len(failed)} replayed, {len(failed)} failed")
    if failed:
        raise SystemExit(1)


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

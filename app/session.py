"""One open profile: the core services and, for the sandbox, the embedded servers.

Opening and closing block on the network and the database, so the window calls them
from a worker (see MainWindow). Nothing here imports Qt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from easymo_core.config import Profile, ProfileStore, resolve_profile
from easymo_core.display import fmt_elapsed
from easymo_core.errors import EasymoError

if TYPE_CHECKING:
    from easymo_core.roles.access import Access
    from easymo_core.services import Services

log = logging.getLogger("easymo.console.session")


@dataclass(frozen=True)
class ComponentHealth:
    component: str  # api | webhook | scheduler
    health: str  # ok | warn | error | off
    detail: str


class ConsoleSession:
    """The services of the active profile (``services``) and its sandbox stack, if any."""

    def __init__(self, profile: Profile, services: Services, stack: Any | None,
                 access: Access | None = None) -> None:
        self.profile = profile
        self.services = services
        self.stack = stack
        # Who this console is on the database (read once, here on the opening worker).
        self.access = access
        self.opened_at = time.monotonic()
        self._closed = False

    @classmethod
    def open(
        cls, profile: Profile | str | None = None, *, sandbox_stack: Any | None = None
    ) -> ConsoleSession:
        """Resolve ``profile``, start the sandbox stack if it is the sandbox, open services.

        ``sandbox_stack`` lets a caller (tests, the benchmark) supply a stack already
        running; the session then does not own it and leaves it running on close.
        """
        if not isinstance(profile, Profile):
            profile = resolve_profile(profile)
        stack = sandbox_stack
        owned = False
        if profile.is_sandbox and stack is None:
            from app.sandbox_process import SandboxProcess

            stack = SandboxProcess(profile)
            stack.start()
            owned = True
        try:
            from easymo_core.services import Services

            graph_url = getattr(stack, "graph_url", None) if stack is not None else None
            services = Services.open(profile, graph_url=graph_url)
        except BaseException:
            if owned and stack is not None:
                stack.stop()
            raise
        try:
            access = _login_access(services)
        except BaseException:
            services.close()
            if owned and stack is not None:
                stack.stop()
            raise
        session = cls(profile, services, stack if owned else None, access)
        session.external_stack = None if owned else stack
        try:
            session.scheduler = start_scheduler(profile, services, access)
        except Exception:
            # The console works without it (pages poll on their own); say why in the log.
            log.exception("the background scheduler did not start")
        return session

    external_stack: Any | None = None
    # The background jobs (change feed, template sync, analytics, health), or None.
    scheduler: Any | None = None

    @property
    def any_stack(self) -> Any | None:
        return self.stack or self.external_stack

    def close(self) -> None:
        """Close services, then stop the servers this session started; safe to repeat."""
        if self._closed:
            return
        self._closed = True
        if self.scheduler is not None:
            # Within a second: a run stuck on the network is left to its daemon thread.
            self.scheduler.stop(timeout=0.5)
        try:
            self.services.close()
        except Exception:
            log.exception("closing services failed")
        if self.stack is not None:
            try:
                self.stack.stop()
            except Exception:
                log.exception("stopping the sandbox stack failed")

    # -- health, for the status bar ------------------------------------------------------
    def api_health(self) -> ComponentHealth:
        start = time.perf_counter()
        try:
            info = self.services.phone_info()
        except EasymoError as exc:
            return ComponentHealth("api", "error", exc.message)
        ms = (time.perf_counter() - start) * 1000
        name = getattr(info, "display_phone_number", "") or "phone number"
        return ComponentHealth("api", "ok" if ms < 2000 else "warn", f"{name} · {ms:.0f} ms")

    def webhook_health(self) -> ComponentHealth:
        health = self._webhook_health()
        # Dead letters wait for an admin whatever the receiver's state: said beside it.
        dead = _dead_letters(self.services)
        if not dead:
            return health
        level = "warn" if health.health == "ok" else health.health
        return ComponentHealth("webhook", level, f"{health.detail} · {dead} dead letter(s): "
                               "`easymo webhook dead-letters`")

    def _webhook_health(self) -> ComponentHealth:
        stack = self.any_stack
        if stack is not None:
            # The receiver's own state: a stopped Graph API sandbox is the API light's news.
            receiver = getattr(stack, "webhook", None)
            if receiver is not None:
                running = bool(getattr(receiver, "running", True))
            else:
                running = bool(getattr(stack, "running", False))
            url = getattr(stack, "webhook_url", "") if running else ""
            if not running:
                return ComponentHealth("webhook", "error", "embedded receiver stopped")
            stalled = _receiver_problems(getattr(stack, "webhook", None))
            if stalled:
                return ComponentHealth("webhook", "error", f"receiver on {_host_port(url)}: {stalled}")
            return ComponentHealth("webhook", "ok", f"receiver on {_host_port(url)}")
        last = self.services.overview.last_webhook_event()
        if last is None:
            return ComponentHealth("webhook", "warn", "no webhook event received yet")
        age = (datetime.now(UTC) - last).total_seconds()
        limit = self.profile.alert_webhook_lag_s
        return ComponentHealth(
            "webhook", "ok" if age < limit else "warn", f"last event {fmt_elapsed(age)} ago"
        )


def _login_access(services: Services) -> Access:
    """The login's Access; a login the console is not for (the webhook receiver's) stops the
    opening here with a message saying so."""
    from easymo_core.permissions import read_access, refuse_console

    access = read_access(services.db)
    refuse_console(access)
    log.info("signed in as %s (%s)", access.login or "single user", access.role)
    return access


def start_scheduler(profile: Profile, services: Services, access: Access | None = None) -> Any:
    """Build and start the profile's jobs (blocks on the database: call from a worker). A
    login that may not write gets the jobs that write listed as off, saying why."""
    from easymo_core.permissions import read_only_reason
    from easymo_core.scheduler import Intervals, build_scheduler

    sandbox = profile.is_sandbox
    intervals = Intervals(template_sync_s=60.0 if sandbox else 900.0,
                          health_s=10.0 if sandbox else 30.0)
    scheduler = build_scheduler(services, analytics=_analytics_puller(services),
                                intervals=intervals,
                                read_only=read_only_reason(access) if access is not None else None)
    if scheduler.feed is not None:
        scheduler.feed.start()  # from now on: what is already there is the log's first page
    scheduler.start()
    return scheduler


def _analytics_puller(services: Services) -> Any:
    """The hourly Meta analytics pull for ``services``: the last two days each time, since
    Meta revises recent figures for a while after the fact."""
    from easymo_core.analytics.meta import pull_meta_analytics
    from easymo_core.storage.types import utcnow

    def pull() -> Any:
        now = utcnow()
        return pull_meta_analytics(services, now - timedelta(days=2), now)

    return pull


def _host_port(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


def _receiver_problems(receiver: Any) -> str:
    """What the embedded receiver's intake says is wrong (a stalled or dead writer), or "":
    the same health its /health answers, asked in-process."""
    intake = getattr(receiver, "intake", None)
    if intake is None:
        return ""
    health = intake.health()
    return "" if health.ok else "; ".join(health.problems)


def _dead_letters(services: Services) -> int:
    from easymo_core.webhook.dead_letters import count_dead_letters

    try:
        return count_dead_letters(services.db)
    except Exception:
        return 0  # a database older than the dead letters: nothing to say


def check_connection(profile: Profile, token: str | None = None) -> Any:
    """Call the phone-number endpoint with ``profile``'s settings; PhoneNumberInfo or raise.

    ``token`` tests a token typed in Settings before it is saved; otherwise the keyring's.
    """
    from easymo_core.services import Services

    return Services.check_connection(profile, token)


def profile_names() -> tuple[list[str], str]:
    store = ProfileStore()
    return store.names(), store.active_name()

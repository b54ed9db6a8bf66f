"""The main window: sidebar navigation, pages, status bar, notification area.

The window shows at once; the profile's services (and, for the sandbox, its servers) open
in a worker. Pages that need services are built when the session is ready and rebuilt on
a profile switch; Settings never needs them, so a broken profile can always be fixed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.hub import Hub
from app.resources import icon
from app.session import ConsoleSession, check_connection
from app.views.page import Page
from app.views.startup_page import StartupPage
from app.watchers import HealthMonitor, TemplateWatcher
from app.widgets.banner import Banner
from app.widgets.notifications import NotificationArea
from app.widgets.statusbar import Bell, HealthIndicator, JobsIndicator, ProfileSwitcher
from app.workers import Jobs
from easymo_core.config import Profile, ProfileStore

log = logging.getLogger("easymo.console")

NAV = (
    ("dashboard", "Dashboard"),
    ("templates", "Templates"),
    ("compose", "Compose"),
    ("messages", "Messages"),
    ("flows", "Flows"),
    ("audit", "Audit"),
    ("settings", "Settings"),
)
NEEDS_SESSION = ("dashboard", "templates", "compose", "messages", "flows", "audit")


class MainWindow(QMainWindow):
    session_ready = Signal(object)  # ConsoleSession
    session_failed = Signal(object)  # the exception
    sidebar: QListWidget
    sidebar_frame: QFrame
    sidebar_foot: QLabel
    brand_names: QWidget
    sidebar_compact: bool

    def __init__(
        self,
        *,
        hub: Hub | None = None,
        profile: str | Profile | None = None,
        sandbox_stack: Any | None = None,
        store: ProfileStore | None = None,
    ) -> None:
        super().__init__()
        self.hub = hub or Hub(self)
        self.jobs = Jobs(self.hub, parent=self)
        self.store = store or ProfileStore()
        self.requested_profile = profile
        self.sandbox_stack = sandbox_stack
        self.session: ConsoleSession | None = None
        self._froze_pages = False
        self.pages: dict[str, QWidget] = {}
        self.watchers: list[Any] = []
        self.bridge: Any | None = None  # SchedulerBridge of the open session
        self.scheduler_status: Any | None = None
        self._opening = False
        self._closed = False
        self._factories: dict[str, Any] = {}
        self.setWindowTitle("easyMO Console")
        self.setObjectName("MainWindow")
        self.setMinimumSize(QSize(900, 560))
        self._build()
        self._restore_geometry()
        self.hub.health_changed.connect(self._health)
        self.hub.session_changed.connect(lambda _s: self._refresh_profiles())
        self.hub.templates_changed.connect(self._template_submitted)

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        root = QHBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_sidebar())
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.sandbox_banner = Banner(
            "sandbox",
            "Sandbox profile: the Cloud API, webhook receiver and simulated users run on this "
            "machine (127.0.0.1). Nothing you send here reaches a real phone.",
            action="Settings",
        )
        self.sandbox_banner.action_clicked.connect(lambda: self.navigate("settings"))
        self.sandbox_banner.hide()
        column.addWidget(self.sandbox_banner)
        # A login that may read but not write (a viewer): said once, above every page.
        self.read_only_banner = Banner("info", "")
        self.read_only_banner.setObjectName("ReadOnlyBanner")
        self.read_only_banner.hide()
        column.addWidget(self.read_only_banner)
        self.stack = QStackedWidget()
        column.addWidget(self.stack, 1)
        self.page_column = column
        root.addLayout(column, 1)
        self.setCentralWidget(central)

        self.startup = StartupPage()
        self.startup.retry.connect(lambda: self.open_profile(self.requested_profile))
        self.startup.open_settings.connect(lambda: self.navigate("settings"))
        self.startup.create_tables.connect(self.create_tables)
        self.stack.addWidget(self.startup)
        from app.views.settings_page import SettingsPage

        settings = SettingsPage(self.jobs, self.hub, self._test_connection, store=self.store,
                                active=self._active_name())
        settings.use_profile.connect(self.switch_profile)
        settings.profile_saved.connect(self._profile_saved)
        self._add_page("settings", settings)
        # Docked under the page: a toast never covers the page's own buttons.
        self.notifications = NotificationArea(self.hub, central, docked=True)
        self.page_column.addWidget(self.notifications)
        self._build_status_bar()
        # Land on Templates: it has live data the moment the profile is open.
        self.navigate("templates")

        # Ctrl+1..6 jump to pages, as in most admin tools.
        for i, (key, label) in enumerate(NAV, start=1):
            action = QAction(label, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i}"))
            action.triggered.connect(lambda _=False, k=key: self.navigate(k))
            self.addAction(action)
            item = self.sidebar.item(i - 1)
            item.setToolTip(f"{label} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
        help_menu = self.menuBar().addMenu("&Help")
        keys = help_menu.addAction("&Keyboard shortcuts")
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self.show_shortcuts)

    def show_shortcuts(self) -> None:
        from app.views.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self).open()

    # -- geometry --------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        """The last size and place; the first time, most of the screen the window is on."""
        from app.prefs import prefs

        saved = prefs().value("window/geometry")
        if saved is not None and self.restoreGeometry(saved):
            return
        screen = self.screen()
        if screen is None:
            self.resize(1320, 860)
            return
        area = screen.availableGeometry()
        # Never larger than the screen (a 1366x768 laptop), never huge on a 4K monitor.
        width = min(1440, max(self.minimumWidth(), int(area.width() * 0.92)))
        height = min(920, max(self.minimumHeight(), int(area.height() * 0.92)))
        self.resize(min(width, area.width()), min(height, area.height()))
        self.move(area.center() - self.rect().center())

    def _save_geometry(self) -> None:
        from app.prefs import prefs

        prefs().setValue("window/geometry", self.saveGeometry())

    def set_compact(self, compact: bool) -> None:
        """Icons only in the sidebar, to leave a narrow window's width to the page."""
        if compact == self.sidebar_compact:
            return
        self.sidebar_compact = compact
        self.sidebar_frame.setFixedWidth(64 if compact else 212)
        self.brand_names.setVisible(not compact)
        self.sidebar_foot.setVisible(not compact)
        for row, (_key, label) in enumerate(NAV):
            item = self.sidebar.item(row)
            item.setText("" if compact else f"  {label}")
            item.setSizeHint(QSize(48 if compact else 190, 42))

    def _build_sidebar(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("SidebarFrame")
        frame.setFixedWidth(212)
        self.sidebar_frame = frame
        self.sidebar_compact = False
        box = QVBoxLayout(frame)
        box.setContentsMargins(0, 18, 0, 8)
        box.setSpacing(4)
        brand = QHBoxLayout()
        brand.setContentsMargins(18, 0, 12, 14)
        logo = QLabel()
        logo.setPixmap(icon("logo", "#25d366", 28).pixmap(28, 28))
        brand.addWidget(logo)
        names = QVBoxLayout()
        names.setSpacing(0)
        title = QLabel("easyMO")
        title.setObjectName("Brand")
        sub = QLabel("CONSOLE")
        sub.setObjectName("BrandSub")
        names.addWidget(title)
        names.addWidget(sub)
        self.brand_names = QWidget()
        self.brand_names.setLayout(names)
        names.setContentsMargins(0, 0, 0, 0)
        brand.addWidget(self.brand_names, 1)
        box.addLayout(brand)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for key, label in NAV:
            item = QListWidgetItem(icon(key, "#aebac1", 20), f"  {label}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, label)
            item.setSizeHint(QSize(190, 42))
            self.sidebar.addItem(item)
        self.sidebar.currentItemChanged.connect(self._nav_changed)
        box.addWidget(self.sidebar, 1)
        self.sidebar_foot = QLabel("")
        self.sidebar_foot.setObjectName("SidebarFoot")
        self.sidebar_foot.setWordWrap(True)
        box.addWidget(self.sidebar_foot)
        return frame

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.profile_switcher = ProfileSwitcher()
        self.profile_switcher.switched.connect(self.switch_profile)
        bar.addWidget(self.profile_switcher)
        self.health: dict[str, HealthIndicator] = {
            "api": HealthIndicator("API"),
            "webhook": HealthIndicator("Webhooks"),
            "scheduler": HealthIndicator("Scheduler"),
        }
        for indicator in self.health.values():
            bar.addWidget(indicator)
        # Who this console is on the database: "alice · admin · accounts 123, 456".
        self.identity = QLabel("")
        self.identity.setObjectName("IdentityLabel")
        self.identity.setAccessibleName("Database login")
        bar.addPermanentWidget(self.identity)
        self.jobs_indicator = JobsIndicator()
        self.jobs.busy_changed.connect(self.jobs_indicator.set_count)
        bar.addPermanentWidget(self.jobs_indicator)
        self.bell = Bell()
        self.bell_menu = QMenu(self.bell)
        self.bell_menu.aboutToShow.connect(self._fill_bell)
        self.bell.setMenu(self.bell_menu)
        self.notifications.changed.connect(
            lambda: self.bell.set_unread(self.notifications.unread))
        bar.addPermanentWidget(self.bell)
        self._refresh_profiles()

    # -- navigation ------------------------------------------------------------------
    def _add_page(self, key: str, page: QWidget) -> None:
        old = self.pages.get(key)
        if old is not None:
            self.stack.removeWidget(old)
            if isinstance(old, Page):
                old.shutdown()
            old.deleteLater()
        self.pages[key] = page
        self.stack.addWidget(page)

    def navigate(self, key: str) -> None:
        for row in range(self.sidebar.count()):
            if self.sidebar.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.sidebar.setCurrentRow(row)
                return

    def current_key(self) -> str:
        item = self.sidebar.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""

    def page(self, key: str) -> Any:
        return self.ensure_page(key) if key in NEEDS_SESSION else self.pages.get(key)

    def _nav_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if previous is not None:
            old = self.pages.get(previous.data(Qt.ItemDataRole.UserRole))
            if isinstance(old, Page):
                old.deactivated()
        if current is None:
            return
        key = current.data(Qt.ItemDataRole.UserRole)
        page = self.ensure_page(key) if key in NEEDS_SESSION else self.pages.get(key)
        if page is None:
            self.stack.setCurrentWidget(self.startup)
            return
        self.stack.setCurrentWidget(page)
        if isinstance(page, Page):
            page.activated()

    # -- profiles and the session ----------------------------------------------------
    def _active_name(self) -> str:
        requested = self.requested_profile
        if isinstance(requested, Profile):
            return requested.name
        if requested:
            return requested
        try:
            return self.store.active_name()
        except Exception:
            return "sandbox"

    def _refresh_profiles(self) -> None:
        try:
            names = self.store.names()
        except Exception:
            names = ["sandbox"]
        active = self.session.profile.name if self.session else self._active_name()
        if active not in names:
            names.append(active)
        self.profile_switcher.set_profiles(names, active)

    def open_profile(self, profile: str | Profile | None = None) -> None:
        """Open ``profile`` (default: the active one) in a worker; pages follow."""
        if self._opening or self._closed:
            return
        self._opening = True
        self.requested_profile = profile if profile is not None else self.requested_profile
        name = self._active_name()
        sandbox = name == "sandbox" or (isinstance(profile, Profile) and profile.is_sandbox)
        self.startup.show_opening(name, sandbox)
        for key in NEEDS_SESSION:
            page = self.pages.pop(key, None)
            if page is not None:
                self.stack.removeWidget(page)
                if isinstance(page, Page):
                    page.shutdown()
                page.deleteLater()
        if self.current_key() in NEEDS_SESSION or not self.current_key():
            self.stack.setCurrentWidget(self.startup)
        for indicator in self.health.values():
            indicator.set_health("busy", "starting…")
        self.opened_started = time.perf_counter()
        old, self.session = self.session, None
        self._stop_watchers()
        target = self.requested_profile
        stack = self.sandbox_stack
        self.jobs.submit(_reopen, old, target, stack, name=f"open profile {name}", owner=self,
                         on_result=self._opened, on_error=self._open_failed,
                         on_done=self._open_done)

    def _opened(self, session: ConsoleSession) -> None:
        if self._closed:
            session.close()
            return
        self.session = session
        if self._froze_pages:
            from app import main_thread_gc

            main_thread_gc.thaw()  # the previous session's pages are gone: collect them
            self._froze_pages = False
        self.open_seconds = time.perf_counter() - self.opened_started
        profile = session.profile
        self.sandbox_banner.setVisible(profile.is_sandbox)
        self._show_access(session)
        self.sidebar_foot.setText(
            f"Profile {profile.name} · "
            + ("local sandbox" if profile.is_sandbox else f"Graph {profile.graph_version}")
        )
        self._build_session_pages(session)
        self._start_watchers(session)
        settings = self.pages.get("settings")
        if settings is not None:
            settings.set_active(profile.name)  # type: ignore[attr-defined]
        self.hub.session_changed.emit(session)
        self.session_ready.emit(session)
        if not self.current_key():
            self.navigate("templates")
        else:
            self._nav_changed(self.sidebar.currentItem(), None)

    def _open_failed(self, exc: object) -> None:
        from app.errors import describe

        message, hint = describe(exc)  # type: ignore[arg-type]
        self.startup.show_failed(self._active_name(), message, hint)
        self.stack.setCurrentWidget(self.startup) if self.current_key() != "settings" else None
        for indicator in self.health.values():
            indicator.set_health("off", "profile not open")
        self.identity.setText("")
        self.read_only_banner.hide()
        self.health["api"].set_health("error", message)
        self.hub.session_changed.emit(None)
        self.session_failed.emit(exc)
        self._check_schema()
        if not self.current_key():
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(0)
            self.sidebar.blockSignals(False)

    def _open_done(self) -> None:
        self._opening = False

    # -- an empty database -----------------------------------------------------------
    def _failed_profile(self) -> Profile | None:
        requested = self.requested_profile
        if isinstance(requested, Profile):
            return requested
        try:
            return self.store.get(self._active_name())
        except Exception:
            return None

    def _check_schema(self) -> None:
        """After a failed open: is it a reachable database without our tables?"""
        profile = self._failed_profile()
        if profile is None or profile.is_sandbox or not profile.db_url:
            return
        from app.schema_setup import schema_state

        self.jobs.submit(schema_state, profile, name="schema check", owner=self, quiet=True,
                         on_result=self._schema_checked, on_error=lambda _e: None)

    def _schema_checked(self, state: Any) -> None:
        if state is not None and state.state in ("empty", "behind"):
            self.startup.offer_tables(state.state)

    def confirm_create_tables(self, profile: Profile, empty: bool) -> bool:
        """Asks first: a shared database's schema is the admin's decision (tests replace it)."""
        from PySide6.QtWidgets import QMessageBox

        what = "create easyMO's tables in" if empty else "upgrade easyMO's tables in"
        answer = QMessageBox.question(
            self, "Create the tables?" if empty else "Upgrade the tables?",
            f"This will {what} the database of profile “{profile.name}”:\n{_redacted(profile.db_url)}"
            "\n\nThe same as `easymo db upgrade`. Other data in that database is left alone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def create_tables(self) -> None:
        profile = self._failed_profile()
        if profile is None:
            return
        empty = self.startup.tables_button.text().startswith("Create")
        if not self.confirm_create_tables(profile, empty):
            return
        from app.schema_setup import create_tables

        self.startup.tables_button.setEnabled(False)
        self.startup.title.setText("Creating the tables…")
        self.jobs.submit(create_tables, profile, name="create tables", owner=self,
                         on_result=lambda _s: self._tables_created(),
                         on_error=self._tables_failed,
                         on_done=lambda: self.startup.tables_button.setEnabled(True))

    def _tables_created(self) -> None:
        self.hub.success("Tables created", "Opening the profile.")
        self.open_profile(self.requested_profile)

    def _tables_failed(self, exc: object) -> None:
        from app.errors import describe

        message, hint = describe(exc)  # type: ignore[arg-type]
        self.startup.show_failed(self._active_name(), message, hint)

    def switch_profile(self, name: str) -> None:
        if self.session is not None and self.session.profile.name == name:
            return
        try:
            self.store.use(name)
        except Exception as exc:
            self.hub.error(f"Cannot switch to {name}", exc)
            self._refresh_profiles()
            return
        self.hub.info(f"Switching to profile {name}")
        self.sandbox_stack = None
        self.open_profile(name)

    def _page_factories(self, session: ConsoleSession) -> dict[str, Any]:
        from app.views.audit_page import AuditPage
        from app.views.composer_page import ComposerPage
        from app.views.messages_page import MessagesPage
        from app.views.templates_page import TemplatesPage

        svc, sandbox = session.services, session.profile.is_sandbox
        return {
            "templates": lambda: TemplatesPage(svc, self.jobs, self.hub, sandbox=sandbox),
            "compose": lambda: ComposerPage(svc, self.jobs, self.hub,
                                            profile_name=session.profile.name, sandbox=sandbox),
            "dashboard": lambda: self._dashboard_page(session),
            "messages": lambda: MessagesPage(svc, self.jobs, self.hub,
                                             number_names=self.store.number_names()),
            "flows": lambda: self._flows_page(session),
            "audit": lambda: AuditPage(svc, self.jobs, self.hub),
        }

    def _flows_page(self, session: ConsoleSession) -> Any:
        from app.views.flows_page import FlowsPage

        page = FlowsPage(session.services, self.jobs, self.hub, sandbox=session.profile.is_sandbox)
        page.open_contact.connect(self.open_contact)
        return page

    def open_contact(self, wa_id: str) -> None:
        """The conversation with ``wa_id`` on the Messages page (a click on a flow's contact)."""
        self.navigate("messages")
        page = self.page("messages")
        if page is not None:
            page.open_contact(wa_id)

    def _dashboard_page(self, session: ConsoleSession) -> Any:
        from app.views.dashboard_page import DashboardPage, Thresholds

        page = DashboardPage(session.services, self.jobs, self.hub,
                             thresholds=Thresholds.of(session.profile),
                             number_names=self.store.number_names(),
                             sandbox=session.profile.is_sandbox)
        page.open_messages.connect(self.open_messages)
        return page

    def _profile_saved(self, profile: Profile) -> None:
        """New alert thresholds take effect on the open dashboard at once."""
        if self.session is None or profile.name != self.session.profile.name:
            return
        from app.views.dashboard_page import Thresholds

        page = self.pages.get("dashboard")
        if page is not None:
            page.thresholds = Thresholds.of(profile)  # type: ignore[attr-defined]
            page.request_refresh()  # type: ignore[attr-defined]

    def open_messages(self, filters: dict[str, Any]) -> None:
        """Show the messages log filtered as asked (a click on a dashboard chart)."""
        self.navigate("messages")
        page = self.page("messages")
        if page is not None:
            page.set_filter(**filters)

    def _build_session_pages(self, session: ConsoleSession) -> None:
        """The page on screen now; the others one per event-loop turn (or when asked for)."""
        self._factories = self._page_factories(session)
        first = self.current_key() if self.current_key() in self._factories else "templates"
        self.ensure_page(first)
        QTimer.singleShot(0, self, self._build_next_page)

    def ensure_page(self, key: str) -> Any:
        page = self.pages.get(key)
        factory = self._factories.get(key)
        if page is None and factory is not None and self.session is not None:
            page = factory()
            if isinstance(page, Page):
                page.set_access(self.session.access)
            self._add_page(key, page)
        return page

    def _build_next_page(self) -> None:
        pending = [k for k in self._factories if k not in self.pages]
        if pending and self.session is not None and not self._closed:
            self.ensure_page(pending[0])
            QTimer.singleShot(0, self, self._build_next_page)
        elif not pending and self.session is not None and not self._froze_pages:
            from app import main_thread_gc

            main_thread_gc.freeze()  # the pages live as long as the session
            self._froze_pages = True

    def _start_watchers(self, session: ConsoleSession) -> None:
        if session.scheduler is not None:
            from app.scheduler_bridge import SchedulerBridge
            from app.scheduler_status import SchedulerStatus

            self.bridge = SchedulerBridge(session.scheduler, self.hub, self)
            self.scheduler_status = SchedulerStatus(self.hub, self.health["scheduler"], self.bridge,
                                                    self, read_only=_read_only(session))
        self.watchers = [HealthMonitor(self.jobs, self.hub, session),
                         TemplateWatcher(self.jobs, self.hub, session)]
        for w in self.watchers:
            w.start()

    def _stop_watchers(self) -> None:
        for w in self.watchers:
            w.stop()
            w.deleteLater()
        self.watchers = []
        bridge, self.bridge = self.bridge, None
        if bridge is not None:
            bridge.detach()
            bridge.deleteLater()
        status, self.scheduler_status = self.scheduler_status, None
        if status is not None:
            status.deleteLater()

    def _template_submitted(self) -> None:
        """A template was created or deleted: ask Meta for its review result soon."""
        scheduler = self.session.scheduler if self.session is not None else None
        if scheduler is not None:
            from easymo_core.scheduler import TEMPLATE_SYNC

            scheduler.trigger_soon(TEMPLATE_SYNC, 5.0)

    def _show_access(self, session: ConsoleSession) -> None:
        """The login, its role and accounts in the status bar; a read-only role's banner."""
        from easymo_core.permissions import describe_access

        access = session.access
        self.identity.setText(describe_access(access) if access is not None else "")
        self.identity.setToolTip(f"{self.identity.text()}: the database login this console uses, "
                                 "its easyMO role and the WhatsApp Business Accounts it may see")
        self.identity.setMinimumWidth(self.identity.sizeHint().width())
        self._fit_lights(self.width())
        reason = _read_only(session)
        if reason is not None and access is not None:
            self.read_only_banner.set_text(
                f"Read-only: your role {access.role} can see messages, templates and figures, but "
                "not send messages, submit or delete templates, or import flows; the scheduler's "
                "jobs that write are off. An easyMO admin can grant more "
                "(`easymo db user add ... --role admin`).")
        self.read_only_banner.setVisible(reason is not None)

    def _test_connection(self, profile: Profile, token: str | None) -> Any:
        """Runs in a worker. The open sandbox answers through its own running stack."""
        session = self.session
        if session is not None and profile.name == session.profile.name and not token \
                and profile.is_sandbox:
            return session.services.phone_info()
        return check_connection(profile, token)

    # -- status bar ------------------------------------------------------------------
    def _health(self, component: str, health: str, detail: str) -> None:
        indicator = self.health.get(component)
        if indicator is not None:
            indicator.set_health(health, detail)

    def _fill_bell(self) -> None:
        self.bell_menu.clear()
        history = list(self.notifications.history)[:15]
        if not history:
            self.bell_menu.addAction("No notifications yet").setEnabled(False)
        for note in history:
            text = f"{note.at:%H:%M}  {note.title}" + (f" — {note.text}" if note.text else "")
            action = self.bell_menu.addAction(text[:110])
            action.setToolTip(note.hint)
        self.notifications.mark_read()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.set_compact(event.size().width() < 1180)
        self._fit_lights(event.size().width())
        self.notifications.reposition()

    def _fit_lights(self, width: int) -> None:
        """The three lights share what the profile switcher, the login, jobs and bell leave."""
        share = (width - 330 - self.identity.sizeHint().width()) // max(1, len(self.health)) - 40
        for indicator in self.health.values():
            indicator.set_text_width(max(60, min(330, share)))

    # -- closing ---------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, timeout_ms: int = 800) -> float:
        """Stop timers, workers and the embedded servers; returns the seconds it took."""
        if self._closed:
            return 0.0
        started = time.perf_counter()
        self._closed = True
        self.hide()
        self._stop_watchers()
        for page in self.pages.values():
            if isinstance(page, Page):
                page.shutdown()
        self.jobs.stop_accepting()
        if self.session is not None:
            # Stopping the servers first makes any request still in flight fail fast.
            self.session.close()
            self.session = None
        self.jobs.shutdown(timeout_ms)
        elapsed = time.perf_counter() - started
        log.info("console closed in %.2f s", elapsed)
        return elapsed


def _reopen(old: ConsoleSession | None, profile: str | Profile | None,
            stack: Any | None) -> ConsoleSession:
    """Worker: close the previous profile, open the next one."""
    if old is not None:
        old.close()
    session = ConsoleSession.open(profile, sandbox_stack=stack)
    # Import the pages here, off the UI thread: they pull in half of easymo_core.
    import app.views.composer_page
    import app.views.dashboard_page
    import app.views.flows_page
    import app.views.messages_page
    import app.views.templates_page  # noqa: F401
    return session


def _read_only(session: ConsoleSession) -> str | None:
    from easymo_core.permissions import read_only_reason

    return read_only_reason(session.access) if session.access is not None else None


def _redacted(url: str) -> str:
    """The URL without its password, for a question on screen."""
    from easymo_core.storage.engine import safe_url

    return safe_url(url)

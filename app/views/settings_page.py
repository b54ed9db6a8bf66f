"""Settings: create and edit profiles, store their secrets in the keyring, test them.

The token, app secret and database password fields are write-only: they start empty, say
whether the keyring holds a value, and are cleared once saved. The database URL shows a
password written into it masked, and saving moves such a password to the keyring. Saving
and testing run in workers (a keyring over D-Bus or a slow Graph API must not freeze the
window).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.hub import Hub
from app.views.page import Page, card
from app.widgets.badge import StatusBadge
from app.widgets.banner import Banner
from app.widgets.spinner import Spinner
from app.workers import Jobs
from easymo_core.cloudapi.limits import MAX_MESSAGES_PER_SECOND
from easymo_core.config import SANDBOX, Profile, ProfileStore
from easymo_core.config.db_login import inline_password, login_name, with_password, without_password
from easymo_core.config.profile import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, FALLBACK_RULES
from easymo_core.secrets import has_secret, set_secret
from easymo_core.storage.engine import safe_url

TestConnection = Callable[[Profile, "str | None"], Any]
NEW = "+ New profile"
SIDE_WIDTH = 340
WIDE_SETTINGS = 1150  # the page's width from which the Connection card fits beside the form
_FALLBACK_LABELS = {
    "other_language": "Another approved language of the same template",
    "text_in_window": "The template as plain text, inside the 24-hour window",
}
_TIERS = {
    "TIER_250": "250 users / 24 h",
    "TIER_1K": "1,000 users / 24 h",
    "TIER_2K": "2,000 users / 24 h",
    "TIER_10K": "10,000 users / 24 h",
    "TIER_100K": "100,000 users / 24 h",
    "TIER_UNLIMITED": "unlimited",
}


def _secret_state(profile: Profile) -> tuple[bool, bool, bool]:
    return (has_secret(profile, "token"), has_secret(profile, "app-secret"),
            bool(login_name(profile.db_url)) and has_secret(profile, "db-password"))


class SettingsPage(Page):
    use_profile = Signal(str)
    # a profile was saved (the Profile), so the window can apply what changed (alert thresholds)
    profile_saved = Signal(object)

    def __init__(
        self,
        jobs: Jobs,
        hub: Hub,
        test_connection: TestConnection,
        *,
        store: ProfileStore | None = None,
        active: str = SANDBOX,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Settings", "Profiles: which WhatsApp number, which Graph API, "
                         "which database. Secrets stay in the OS keyring.", parent)
        self.jobs, self.hub = jobs, hub
        self.test_connection = test_connection
        self.store = store or ProfileStore()
        self.active = active
        self.current: Profile | None = None

        self._build_theme_choice()
        row = QHBoxLayout()
        row.setSpacing(14)
        self.body.addLayout(row, 1)
        self.profiles = QListWidget()
        self.profiles.setObjectName("ProfileList")
        self.profiles.setMaximumWidth(200)
        self.profiles.currentTextChanged.connect(self._chosen)
        row.addWidget(self.profiles)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setObjectName("PageScroll")
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        holder.setObjectName("PageBody")
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 6, 0)
        column.setSpacing(12)
        scroll.setWidget(holder)
        row.addWidget(scroll, 1)
        self.banner = Banner("error", "", closable=True)
        self.banner.hide()
        column.addWidget(self.banner)
        # The Connection card beside the form on a wide window, under it on a narrow one
        # (see resizeEvent), so the form always keeps the width its fields need.
        self.pair = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.pair.setSpacing(14)
        self.pair.addWidget(self._build_form(), 1)
        side = QVBoxLayout()
        side.addWidget(self._build_test())
        side.addStretch(1)
        self.side = QWidget()
        self.side.setLayout(side)
        self.side.setFixedWidth(SIDE_WIDTH)
        side.setContentsMargins(0, 0, 0, 0)
        self.pair.addWidget(self.side)
        column.addLayout(self.pair)
        column.addStretch(1)
        self.reload()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= WIDE_SETTINGS
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.pair.direction() != direction:
            self.pair.setDirection(direction)
            if wide:
                self.side.setFixedWidth(SIDE_WIDTH)
            else:
                self.side.setMinimumWidth(0)
                self.side.setMaximumWidth(16_777_215)

    # -- building --------------------------------------------------------------------
    def _build_theme_choice(self) -> None:
        """The console's look, for this computer (not a profile's setting)."""
        from app import theme

        label = QLabel("Theme")
        label.setObjectName("Muted")
        self.theme_choice = QComboBox()
        self.theme_choice.setObjectName("ThemeChoice")
        self.theme_choice.setAccessibleName("Theme")
        self.theme_choice.setToolTip("Light or dark; System follows your desktop's setting")
        for text, key in (("System", "system"), ("Light", "light"), ("Dark", "dark")):
            self.theme_choice.addItem(text, key)
        self.theme_choice.setCurrentIndex(self.theme_choice.findData(theme.saved_choice()))
        self.theme_choice.currentIndexChanged.connect(self._theme_chosen)
        self.header_actions.addWidget(label)
        self.header_actions.addWidget(self.theme_choice)

    def _theme_chosen(self, _index: int) -> None:
        from PySide6.QtWidgets import QApplication

        from app import theme

        choice = self.theme_choice.currentData()
        theme.save_choice(choice)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, choice)

    def _build_form(self) -> QWidget:
        frame = card()
        box = QVBoxLayout(frame)
        box.setContentsMargins(18, 14, 18, 16)
        box.setSpacing(8)
        head = QHBoxLayout()
        self.form_title = QLabel("Profile")
        self.form_title.setObjectName("SectionTitle")
        head.addWidget(self.form_title, 1)
        self.active_badge = QLabel("")
        self.active_badge.setObjectName("Hint")
        head.addWidget(self.active_badge)
        box.addLayout(head)
        self.sandbox_note = QLabel(
            "The built-in sandbox: a local SQLite database, and the Cloud API sandbox, webhook "
            "receiver and simulated users started by the console on 127.0.0.1. Nothing to "
            "configure, and no real message ever leaves this machine."
        )
        self.sandbox_note.setWordWrap(True)
        self.sandbox_note.setObjectName("Hint")
        box.addWidget(self.sandbox_note)
        form = QFormLayout()
        # A narrow window puts each label above its field instead of squeezing the field.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setVerticalSpacing(8)
        form.setHorizontalSpacing(14)
        self.name = QLineEdit()
        self.name.setPlaceholderText("production")
        self.graph_url = QLineEdit()
        self.graph_url.setPlaceholderText(DEFAULT_GRAPH_URL)
        self.graph_version = QLineEdit()
        self.graph_version.setPlaceholderText(DEFAULT_GRAPH_VERSION)
        self.phone_number_id = QLineEdit()
        self.phone_number_id.setPlaceholderText("Phone-number id from WhatsApp Manager > API Setup")
        self.waba_id = QLineEdit()
        self.waba_id.setPlaceholderText("WhatsApp Business Account (WABA) id, in WhatsApp Manager")
        self.db_url = QLineEdit()
        self.db_url.setPlaceholderText("postgresql://user@host:5432/easymo  or  sqlite:///path")
        self.db_url.setObjectName("DbUrlField")
        self.db_url.setToolTip("The database login goes in the URL; its password in the field "
                               "below (kept in the OS keyring), never in the URL")
        self.db_url.textChanged.connect(self._db_url_edited)
        self.db_password = QLineEdit()
        self.db_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.db_password.setObjectName("DbPasswordField")
        self.db_password.setAccessibleName("Database password (write only)")
        self.db_password_state = QLabel("")
        self.db_password_state.setObjectName("Hint")
        self.db_password_state.setWordWrap(True)
        self.db_password_row = _stack(self.db_password, self.db_password_state)
        self.verify_token = QLineEdit()
        self.verify_token.setPlaceholderText("Webhook verify token (not a secret key)")
        self.mps = QDoubleSpinBox()
        self.mps.setRange(0.1, MAX_MESSAGES_PER_SECOND)
        self.mps.setDecimals(1)
        self.mps.setSuffix(" messages/s")
        self.alert_error_rate = QDoubleSpinBox()
        self.alert_error_rate.setObjectName("AlertErrorRate")
        self.alert_error_rate.setRange(0.1, 100.0)
        self.alert_error_rate.setDecimals(1)
        self.alert_error_rate.setSuffix(" % failed")
        self.alert_error_rate.setToolTip("The dashboard warns when the period's failure rate "
                                         "goes above this (from 20 sent messages on).")
        self.alert_lag = QDoubleSpinBox()
        self.alert_lag.setObjectName("AlertWebhookLag")
        self.alert_lag.setRange(1.0, 86_400.0)
        self.alert_lag.setDecimals(0)
        self.alert_lag.setSuffix(" s average delay")
        self.alert_lag.setToolTip("The dashboard warns when webhooks are recorded this long "
                                  "after Meta sent them, on average.")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setObjectName("TokenField")
        self.token.setAccessibleName("Access token (write only)")
        self.app_secret = QLineEdit()
        self.app_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.app_secret.setObjectName("AppSecretField")
        self.app_secret.setAccessibleName("App secret (write only)")
        for w in (self.token, self.app_secret, self.db_password):
            # Never offer the stored value back, not even through copy or drag.
            w.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            w.setDragEnabled(False)
        self.token_state = QLabel("")
        self.token_state.setObjectName("Hint")
        self.secret_state = QLabel("")
        self.secret_state.setObjectName("Hint")
        form.addRow("Name", self.name)
        form.addRow("Graph API URL", self.graph_url)
        form.addRow("Graph API version", self.graph_version)
        form.addRow("Phone-number id", self.phone_number_id)
        form.addRow("Business account id", self.waba_id)
        form.addRow("Database URL", self.db_url)
        form.addRow("Database password", self.db_password_row)
        self.db_password_label = form.labelForField(self.db_password_row)
        form.addRow("Verify token", self.verify_token)
        form.addRow("Sending pace", self.mps)
        form.addRow("Failure alert", self.alert_error_rate)
        form.addRow("Webhook delay alert", self.alert_lag)
        form.addRow("Access token", _stack(self.token, self.token_state))
        form.addRow("App secret", _stack(self.app_secret, self.secret_state))
        box.addLayout(form)
        fallbacks = QLabel("When a template cannot be sent as asked, fall back to:")
        fallbacks.setObjectName("FieldLabel")
        box.addWidget(fallbacks)
        self.fallbacks: dict[str, QCheckBox] = {}
        for rule in FALLBACK_RULES:
            check = QCheckBox(_FALLBACK_LABELS.get(rule, rule))
            self.fallbacks[rule] = check
            box.addWidget(check)
        refusal = QLabel("Otherwise the send is refused with the reason — never dropped.")
        refusal.setObjectName("Hint")
        box.addWidget(refusal)
        buttons = QHBoxLayout()
        self.save_spinner = Spinner(self, size=16)
        buttons.addWidget(self.save_spinner)
        buttons.addStretch(1)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setProperty("danger", True)
        self.delete_button.clicked.connect(self.delete_profile)
        self.use_button = QPushButton("Use this profile")
        self.use_button.setObjectName("UseProfile")
        self.use_button.clicked.connect(lambda: self.use_profile.emit(self.name.text().strip()))
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("SaveProfile")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        for b in (self.delete_button, self.use_button, self.save_button):
            buttons.addWidget(b)
        box.addLayout(buttons)
        return frame

    def _build_test(self) -> QWidget:
        frame = card()
        box = QVBoxLayout(frame)
        box.setContentsMargins(18, 14, 18, 16)
        head = QHBoxLayout()
        title = QLabel("Connection")
        title.setObjectName("SectionTitle")
        head.addWidget(title, 1)
        self.test_spinner = Spinner(self, size=16)
        head.addWidget(self.test_spinner)
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("TestConnection")
        self.test_button.clicked.connect(self.test)
        head.addWidget(self.test_button)
        box.addLayout(head)
        self.test_hint = QLabel("Calls the phone-number endpoint with this profile's settings "
                                "(and a token typed above, if any).")
        self.test_hint.setObjectName("Hint")
        self.test_hint.setWordWrap(True)
        box.addWidget(self.test_hint)
        self.result = QWidget()
        grid = QGridLayout(self.result)
        grid.setContentsMargins(0, 6, 0, 0)
        grid.setHorizontalSpacing(18)
        self.r_number = QLabel("")
        self.r_name = QLabel("")
        self.r_quality = StatusBadge("")
        self.r_limit = QLabel("")
        self.r_throughput = QLabel("")
        for i, (label, widget) in enumerate((
            ("Number", self.r_number), ("Verified name", self.r_name),
            ("Quality rating", self.r_quality), ("Messaging limit", self.r_limit),
            ("Throughput", self.r_throughput),
        )):
            name = QLabel(label)
            name.setObjectName("Muted")
            grid.addWidget(name, i, 0)
            grid.addWidget(widget, i, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        self.result.hide()
        box.addWidget(self.result)
        self.test_error = Banner("error", "")
        self.test_error.hide()
        box.addWidget(self.test_error)
        return frame

    # -- profiles --------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        try:
            names = self.store.names()
        except Exception as exc:
            self._show_error(exc)
            names = [SANDBOX]
        wanted = select or (self.current.name if self.current else self.active)
        self.profiles.blockSignals(True)
        self.profiles.clear()
        for n in names:
            self.profiles.addItem(n + ("   ● active" if n == self.active else ""))
        self.profiles.addItem(NEW)
        self.profiles.blockSignals(False)
        row = names.index(wanted) if wanted in names else 0
        self.profiles.setCurrentRow(row)
        self._chosen(self.profiles.currentItem().text())

    def set_active(self, name: str) -> None:
        self.active = name
        self.reload(select=self.current.name if self.current else name)

    def _chosen(self, text: str) -> None:
        self.banner.hide()
        self.result.hide()
        self.test_error.hide()
        name = text.split("   ●")[0]
        if text == NEW:
            self.current = None
            self._fill(Profile(name=""), new=True)
            return
        try:
            profile = self.store.get(name)
        except Exception as exc:
            self._show_error(exc)
            return
        self.current = profile
        self._fill(profile, new=False)

    def _fill(self, p: Profile, *, new: bool) -> None:
        sandbox = p.is_sandbox
        self.form_title.setText("New profile" if new else f"Profile “{p.name}”")
        self.active_badge.setText("active" if p.name == self.active and not new else "")
        self.sandbox_note.setVisible(sandbox)
        self.name.setText(p.name)
        self.name.setReadOnly(not new)
        self.graph_url.setText("" if new else p.graph_url)
        self.graph_version.setText("" if new else p.graph_version)
        self.phone_number_id.setText(p.phone_number_id)
        self.waba_id.setText(p.waba_id)
        # A password written into the URL shows masked; saving puts it in the keyring.
        self.db_url.setText(safe_url(p.db_url) if p.db_url else "")
        self._db_url_edited(self.db_url.text())
        self.verify_token.setText(p.verify_token)
        self.mps.setValue(p.messages_per_second)
        self.alert_error_rate.setValue(100 * p.alert_error_rate)
        self.alert_lag.setValue(p.alert_webhook_lag_s)
        for rule, check in self.fallbacks.items():
            check.setChecked(rule in p.fallbacks)
        for w in (self.graph_url, self.graph_version, self.phone_number_id, self.waba_id,
                  self.db_url, self.verify_token, self.token, self.app_secret, self.db_password):
            w.setReadOnly(sandbox)
        for spin in (self.mps, self.alert_error_rate, self.alert_lag):
            spin.setEnabled(not sandbox)
        self.token.clear()
        self.app_secret.clear()
        self.db_password.clear()
        self.save_button.setEnabled(not sandbox)
        self.delete_button.setEnabled(not sandbox and not new)
        self.use_button.setEnabled(not new and p.name != self.active)
        self.test_button.setEnabled(True)
        if sandbox:
            self._secrets_known(True, True, sandbox=True)
        elif new:
            self._secrets_known(False, False, False)
        else:
            self.token_state.setText("Checking the keyring…")
            self.token_state.show()
            self.secret_state.setText("")
            self.db_password_state.setText("Checking the keyring…" if login_name(p.db_url) else "")
            self.jobs.submit(_secret_state, p, name="keyring check", owner=self, quiet=True,
                             on_result=lambda s: self._secrets_known(*s),
                             on_error=self._keyring_failed)

    def _db_url_edited(self, text: str) -> None:
        """The password field is for a PostgreSQL login: shown only when the URL names one."""
        login = login_name(text.strip())
        visible = bool(login)
        self.db_password_row.setVisible(visible)
        if self.db_password_label is not None:
            self.db_password_label.setVisible(visible)
        if login:
            self.db_password.setToolTip(f"The password of database login {login}; kept in the OS "
                                        "keyring, never in the profile file")

    def _secrets_known(self, token: bool, secret: bool, db_password: bool = False, *,
                       sandbox: bool = False) -> None:
        login = login_name(self.current.db_url) if self.current is not None else ""
        if login and self.current is not None and inline_password(self.current.db_url):
            self.db_password.setPlaceholderText("Written in the URL — Save moves it to the keyring")
            self.db_password_state.setText("⚠ The password is in the profile file: Save moves it "
                                           "to the OS keyring")
        elif login:
            self.db_password.setPlaceholderText("Stored in the keyring — type to replace it"
                                                if db_password else f"Password of login {login}")
            self.db_password_state.setText(
                f"✓ Password of login {login} stored in the OS keyring" if db_password
                else f"No password stored for login {login}")
        else:
            self.db_password.setPlaceholderText("Password of the login named in the URL")
            self.db_password_state.setText("")
        if sandbox:
            self.token.setPlaceholderText("Fixed sandbox value, not a secret")
            self.app_secret.setPlaceholderText("Fixed sandbox value, not a secret")
            self.token_state.hide()
            self.secret_state.hide()
            return
        for edit, state, stored, what in (
            (self.token, self.token_state, token, "access token"),
            (self.app_secret, self.secret_state, secret, "app secret"),
        ):
            edit.setPlaceholderText("Stored in the keyring — type to replace it" if stored
                                    else f"Paste the {what}")
            state.setText(f"✓ {what.capitalize()} stored in the OS keyring" if stored
                          else f"No {what} stored yet")
            state.show()

    def _keyring_failed(self, exc: object) -> None:
        from app.errors import one_line

        self.token_state.setText(one_line(exc))  # type: ignore[arg-type]

    def profile_from_form(self) -> Profile:
        base = self.current or Profile(name=self.name.text().strip())
        values: dict[str, Any] = {
            "name": self.name.text().strip(),
            "graph_url": self.graph_url.text().strip() or DEFAULT_GRAPH_URL,
            "graph_version": self.graph_version.text().strip() or DEFAULT_GRAPH_VERSION,
            "phone_number_id": self.phone_number_id.text().strip(),
            "waba_id": self.waba_id.text().strip(),
            "db_url": self._typed_db_url(base),
            "verify_token": self.verify_token.text().strip(),
            "messages_per_second": float(self.mps.value()),
            "alert_error_rate": round(float(self.alert_error_rate.value()) / 100, 4),
            "alert_webhook_lag_s": float(self.alert_lag.value()),
            "fallbacks": tuple(r for r, c in self.fallbacks.items() if c.isChecked()),
        }
        from dataclasses import replace

        profile = replace(base, **values)
        profile.validate()
        return profile

    def _typed_db_url(self, base: Profile) -> str:
        """The URL as typed; the masked password shown for the stored URL stands for itself."""
        typed = self.db_url.text().strip()
        if base.db_url and typed == safe_url(base.db_url):
            return base.db_url
        stored = inline_password(base.db_url) if base.db_url else None
        if stored is not None and inline_password(typed) == "***":  # host or name edited around it
            return with_password(typed, stored)
        return typed

    # -- actions ---------------------------------------------------------------------
    def save(self) -> None:
        self.banner.hide()
        try:
            profile = self.profile_from_form()
        except Exception as exc:
            self._show_error(exc)
            return
        token = self.token.text().strip() or None
        secret = self.app_secret.text().strip() or None
        db_password = self.db_password.text() or None
        inline = inline_password(profile.db_url)
        if inline is not None:  # the profile file keeps the login, the keyring its password
            from dataclasses import replace

            profile = replace(profile, db_url=without_password(profile.db_url))
            db_password = db_password or inline
        self.save_button.setEnabled(False)
        self.save_spinner.start()
        self.jobs.submit(_save, self.store, profile, token, secret, db_password, name="save profile",
                         owner=self, on_result=self._saved, on_error=self._save_failed)

    def _saved(self, profile: Profile) -> None:
        self.save_spinner.stop()
        self.save_button.setEnabled(True)
        self.token.clear()
        self.app_secret.clear()
        self.db_password.clear()
        self.hub.success(f"Profile {profile.name} saved",
                         "Secrets are in the OS keyring." if not profile.is_sandbox else "")
        self.current = profile
        self.reload(select=profile.name)
        self.profile_saved.emit(profile)

    def _save_failed(self, exc: object) -> None:
        self.save_spinner.stop()
        self.save_button.setEnabled(True)
        self._show_error(exc)

    def test(self) -> None:
        try:
            profile = self.profile_from_form() if self.current is None or not \
                self.current.is_sandbox else self.current
        except Exception as exc:
            self._show_test_error(exc)
            return
        token = self.token.text().strip() or None
        self.result.hide()
        self.test_error.hide()
        self.test_spinner.start()
        self.test_button.setEnabled(False)
        self.test_button.setText("Testing…")
        self.jobs.submit(self.test_connection, profile, token, name="test connection",
                         owner=self, on_result=self._tested, on_error=self._show_test_error,
                         on_done=self._test_done)

    def _tested(self, info: Any) -> None:
        self.r_number.setText(info.display_phone_number)
        self.r_name.setText(info.verified_name or "—")
        self.r_quality.set_status((info.quality_rating or "UNKNOWN").upper())
        tier = info.messaging_limit_tier or ""
        self.r_limit.setText(_TIERS.get(tier, tier or "—"))
        self.r_throughput.setText((info.throughput_level or "—").replace("_", " ").lower())
        self.result.show()

    def _show_test_error(self, exc: object) -> None:
        from app.errors import describe

        message, hint = describe(exc)  # type: ignore[arg-type]
        self.test_error.set_text(message + (f" — {hint}" if hint else ""))
        self.test_error.show()

    def _test_done(self) -> None:
        self.test_spinner.stop()
        self.test_button.setEnabled(True)
        self.test_button.setText("Test connection")

    def delete_profile(self, *, confirm: bool = True) -> None:
        if self.current is None or self.current.is_sandbox:
            return
        name = self.current.name
        if confirm:
            answer = QMessageBox.question(
                self, "Delete profile",
                f"Delete profile {name} and its secrets from the keyring? Its database is "
                "not touched.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.jobs.submit(_delete, self.store, name, name="delete profile", owner=self,
                         on_result=lambda _r: self._deleted(name), on_error=self._show_error)

    def _deleted(self, name: str) -> None:
        self.hub.success(f"Profile {name} deleted")
        self.current = None
        self.reload(select=SANDBOX)

    def _show_error(self, exc: object) -> None:
        from app.errors import one_line

        self.banner.set_text(one_line(exc))  # type: ignore[arg-type]
        self.banner.show()


def _stack(edit: QLineEdit, state: QLabel) -> QWidget:
    holder = QWidget()
    box = QVBoxLayout(holder)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(2)
    box.addWidget(edit)
    box.addWidget(state)
    return holder


def _save(store: ProfileStore, profile: Profile, token: str | None,
          secret: str | None, db_password: str | None = None) -> Profile:
    existed = profile.name in store.names()
    if db_password:  # first: a keyring that refuses leaves the profile file as it was
        set_secret(profile.name, "db-password", db_password)
    store.save(profile)
    if token:
        set_secret(profile.name, "token", token)
    if secret:
        set_secret(profile.name, "app-secret", secret)
    from easymo_core.audit import record_profile_saved

    _audited(record_profile_saved(profile, existed=existed,
                                  secrets=[k for k, v in (("token", token), ("app-secret", secret),
                                                             ("db-password", db_password)) if v]))
    return profile


def _delete(store: ProfileStore, name: str) -> None:
    from easymo_core.secrets import delete_secrets

    removed = store.get(name)
    store.remove(name)
    # No keyring means nothing was stored there either.
    with contextlib.suppress(Exception):
        delete_secrets(name)
    from easymo_core.audit import record_profile_removed

    _audited(record_profile_removed(removed))


def _audited(problem: str | None) -> None:
    """The change stands whether or not its audit entry could be written (a new profile's
    database may not exist yet); the log file says when it was not."""
    if problem is not None:
        import logging

        logging.getLogger("easymo.console").warning("profile change not recorded in the audit log: %s",
                                                    problem)

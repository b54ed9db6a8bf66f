"""``easymo-console --screenshots DIR [--size WxH] [--theme light|dark]``: the README's pictures,
made by the console itself, at the size and in the theme asked for (default 1360x860, light).

Starts on a fresh sandbox (its own temporary config and data directories, so the user's
profiles and sandbox history are neither shown nor touched), sends demo traffic, walks
through every screen, saves a PNG of each, and exits. Works offscreen and under Xvfb.

The walk is a generator of steps driven by a timer, so the event loop keeps running
between steps: workers report back and the pages update exactly as for a person.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger("easymo.console.screenshots")

Step = float | Callable[[], bool] | tuple[Callable[[], bool], float]
SIZE = (1360, 860)


class Walk(QObject):
    """Runs a generator of steps: a number sleeps, a callable waits until it is true."""

    def __init__(self, steps: Iterator[Step], done: Callable[[int], None]) -> None:
        super().__init__()
        self.steps, self.done = steps, done
        self.until: Callable[[], bool] | None = None
        self.deadline = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        if self.until is not None:
            try:
                ready = self.until()
            except Exception:
                ready = False
            if not ready and now < self.deadline:
                return
            if not ready:
                log.warning("screenshot step timed out; continuing")
            self.until = None
        try:
            step = next(self.steps)
        except StopIteration:
            self.timer.stop()
            self.done(0)
            return
        except Exception:
            log.exception("screenshot walk failed")
            self.timer.stop()
            self.done(1)
            return
        if isinstance(step, int | float):
            end = now + float(step)
            self.until, self.deadline = (lambda: time.monotonic() >= end), end + 1
        elif isinstance(step, tuple):
            self.until, self.deadline = step[0], now + step[1]
        else:
            self.until, self.deadline = step, now + 30.0


def save(widget: QWidget, path: Path) -> None:
    widget.repaint()
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    log.info("saved %s", path)
    print(f"saved {path}", flush=True)


def run_screenshots(app: QApplication, out_dir: Path, size: tuple[int, int] | None = None,
                    theme: str | None = None) -> int:
    out_dir = out_dir.expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A throw-away home for this run: fresh sandbox, no personal profiles on screen.
    home = tempfile.mkdtemp(prefix="easymo-shots-")
    os.environ["EASYMO_CONFIG_DIR"] = str(Path(home) / "config")
    os.environ["EASYMO_DATA_DIR"] = str(Path(home) / "data")
    for var in ("EASYMO_PROFILE", "EASYMO_DB_URL", "EASYMO_GRAPH_URL"):
        os.environ.pop(var, None)
    from app.theme import apply_theme

    apply_theme(app, theme or "light")

    from app.demo import DEMO_SANDBOX
    from app.main_window import MainWindow
    from easymo_core.config import sandbox_profile
    from easymo_core.runtime.sandbox_stack import SandboxStack

    stack = SandboxStack(sandbox_profile(), **DEMO_SANDBOX)
    stack.start()
    window = MainWindow(profile=sandbox_profile(), sandbox_stack=stack)
    window.resize(*(size or SIZE))
    window.show()
    window.open_profile()
    result: dict[str, int] = {}

    def finish(code: int) -> None:
        result["code"] = code
        window.shutdown()
        stack.stop()
        app.quit()

    walk = Walk(_steps(window, stack, out_dir), finish)
    walk.start()
    app.exec()
    return result.get("code", 1)


def _steps(w: Any, stack: Any, out: Path) -> Iterator[Step]:
    from app import demo

    yield 0.3
    save(w, out / "00-start.png")  # the sandbox's servers starting
    yield (lambda: w.session is not None, 60.0)
    svc = w.session.services
    done: dict[str, Any] = {}
    w.jobs.submit(demo.traffic, svc, stack.graph_url, name="demo traffic",
                  on_result=lambda r: done.setdefault("traffic", r))
    yield (lambda: "traffic" in done, 60.0)
    yield 3.0  # statuses and replies come in

    # Templates: a new one awaiting review, then the table with statuses.
    templates = w.page("templates")
    w.navigate("templates")
    yield (lambda: templates.model.rowCount() >= 8, 15.0)
    editor = templates.open_editor("new")
    # The editor as it opens over a window of this size (its own default is 1120x780).
    editor.resize(min(1180, w.width() - 40), min(800, w.height() - 40))
    _fill_editor(editor)
    yield 0.5
    save(editor, out / "03-template-editor.png")
    editor.example_edit("body", "2").setText("#4521")
    editor.validate_now()
    editor.submit()
    yield (lambda: not editor.isVisible(), 15.0)
    yield (lambda: templates.select("delivery_window", "en_US"), 10.0)
    yield 0.6
    templates.select("order_update", "en_US")
    yield 0.4
    save(w, out / "02-templates.png")

    # Composer: a template in flight (read still to come), then a list with its sheet.
    control_delay(stack, read=(4.0, 5.0), reply=(5.0, 6.0))
    compose = w.page("compose")
    w.navigate("compose")
    compose.recipient.set_text(demo.CUSTOMERS[0])
    form = compose.show_form("template")
    yield (lambda: bool(form.records), 10.0)
    form.choose("order_update", "en_US")
    yield 0.3
    compose.send()
    yield (lambda: compose.timeline.step_states().get("delivered") == "done", 15.0)
    yield 0.3
    save(w, out / "04-compose-in-flight.png")
    yield (lambda: bool(compose.timeline.timeline and compose.timeline.timeline.replies), 20.0)
    yield 0.5
    save(w, out / "05-compose-read-reply.png")

    control_delay(stack, read=(0.4, 1.2), reply=(0.8, 1.6))
    lst = compose.show_form("list")
    lst.header.setText("Delivery")
    lst.body.setPlainText("Pick a *delivery slot* for tomorrow.")
    lst.footer.setText("easyMO deliveries")
    lst.button_text.setText("Choose a slot")
    lst.sections[0].title.setText("Morning")
    lst.sections[0].table.item(0, 0).setText("8–10 am")
    lst.sections[0].table.item(0, 1).setText("Earliest slot")
    lst.sections[0].add_row("10–12 am", "")
    second = lst.add_section()
    second.title.setText("Afternoon")
    second.add_row("2–4 pm", "Most popular")
    yield 0.5
    save(w, out / "06-compose-list.png")

    # Messages: the log with a delivered-and-answered template chosen, then its conversation.
    messages = w.page("messages")
    w.navigate("messages")
    yield (lambda: messages.model.rowCount() >= 10 and not messages.model.loading, 15.0)
    chosen = _pick_message(messages)
    if chosen is not None:
        messages.select_message(chosen)
    yield (lambda: messages.detail.loaded is not None, 10.0)
    yield 0.6
    save(w, out / "07-messages.png")
    messages.open_conversation()
    yield (lambda: messages.conversation.conversation is not None, 10.0)
    yield 0.6
    save(w, out / "07b-conversation.png")
    flows = w.page("flows")
    w.navigate("flows")
    yield (lambda: flows.graph.definition is not None, 10.0)
    yield 0.6
    save(w, out / "08-flows.png")
    audit = w.page("audit")
    w.navigate("audit")
    yield (lambda: audit.model.rowCount() > 0 and not audit.loading, 10.0)
    yield 0.3
    save(w, out / "08b-audit.png")

    settings = w.page("settings")
    w.navigate("settings")
    settings.test()
    yield (lambda: not settings.result.isHidden(), 10.0)
    save(w, out / "09-settings.png")

    # Dashboard last: by now the walk has sent, delivered, read and failed messages.
    dashboard = w.page("dashboard")
    w.navigate("dashboard")
    yield (lambda: dashboard.snapshot is not None
           and dashboard.snapshot.board.totals.read > 0, 15.0)
    yield 0.8
    w.notifications.clear()  # the page itself, not the toasts of the walk
    yield 0.2
    save(w, out / "01-dashboard.png")

    # The start page as a real profile on an empty database shows it (the words the
    # schema check says, and the action it offers), to check its wrapped text at this size.
    w.startup.show_failed("prod", "the database has no easymo schema yet",
                          "create the tables below, or run `easymo db upgrade` once")
    w.startup.offer_tables("empty")
    w.stack.setCurrentWidget(w.startup)
    yield 0.4
    save(w, out / "00b-start-error.png")


def _pick_message(page: Any) -> int | None:
    """The newest read template that got a reply, else the newest read message."""
    rows = page.model.rows()
    inbound = {r.contact_wa_id for r in rows if r.direction == "in"}
    for r in rows:
        if r.type == "template" and r.status == "read" and r.contact_wa_id in inbound:
            return int(r.id)
    return next((int(r.id) for r in rows if r.status == "read"), None)


def control_delay(stack: Any, *, read: tuple[float, float], reply: tuple[float, float]) -> None:
    from app.demo import control

    control(stack.graph_url, "config", {"read_delay": list(read), "reply_delay": list(reply),
                                        "read_rate": 1.0, "reply_rate": 1.0,
                                        "text_reply_rate": 0.0})


def _fill_editor(editor: Any) -> None:
    editor.name.setText("delivery_window")
    editor.header_format.setCurrentIndex(editor.header_format.findData("TEXT"))
    editor.header_text.setText("Your delivery window")
    editor.body.setPlainText(
        "Hi {{1}}, your order {{2}} arrives *tomorrow between 9 and 11 am*. "
        "Reply _Change_ to pick another time."
    )
    editor.footer.setText("easyMO deliveries")
    editor.add_template_button("QUICK_REPLY").text.setText("Keep this time")
    editor.add_template_button("QUICK_REPLY").text.setText("Change")
    editor.changed()
    editor.example_edit("body", "1").setText("Ana")
    # {{2}} left without an example: the editor shows the problem next to its field (as it
    # does once the admin has been through the fields).
    editor.errors.reveal_all()
    editor.validate_now()

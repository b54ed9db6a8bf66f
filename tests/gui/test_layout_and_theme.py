"""Small screens, the dark theme and the keyboard list: no session needed, so these are fast."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QBoxLayout, QTableView, QWidget

from app import theme
from app.main_window import MainWindow
from app.widgets.column_fit import ColumnFitter
from app.widgets.reflow import ReflowGrid


def test_reflow_grid_puts_tiles_on_two_rows_when_narrow(qtbot: Any) -> None:
    grid = ReflowGrid(lambda width: 8 if width >= 960 else 4)
    qtbot.addWidget(grid)
    tiles = [QWidget() for _ in range(8)]
    for t in tiles:
        grid.add(t)
    grid.resize(1200, 100)
    grid.show()
    qtbot.waitUntil(lambda: grid.columns == 8)
    assert {grid.grid.getItemPosition(grid.grid.indexOf(t))[0] for t in tiles} == {0}
    grid.resize(900, 200)
    qtbot.waitUntil(lambda: grid.columns == 4)
    rows = [grid.grid.getItemPosition(grid.grid.indexOf(t))[0] for t in tiles]
    assert rows == [0, 0, 0, 0, 1, 1, 1, 1]


def test_column_fitter_hides_optional_columns_before_squeezing_the_text(qtbot: Any) -> None:
    from PySide6.QtGui import QStandardItemModel

    table = QTableView()
    qtbot.addWidget(table)
    model = QStandardItemModel(3, 4)
    table.setModel(model)
    header = table.horizontalHeader()
    for c in (0, 1, 2):
        header.resizeSection(c, 120)
    from PySide6.QtWidgets import QHeaderView

    header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
    ColumnFitter(table, 3, [1, 2], min_stretch=160)
    table.resize(900, 300)
    table.show()
    qtbot.waitUntil(lambda: not header.isSectionHidden(1))
    table.resize(450, 300)  # 360 of fixed columns would leave the text ~80 px
    qtbot.waitUntil(lambda: header.isSectionHidden(1))
    assert not header.isSectionHidden(2) and header.sectionSize(3) >= 160
    table.resize(900, 300)
    qtbot.waitUntil(lambda: not header.isSectionHidden(1))
    assert header.sectionSize(1) == 120


def test_dark_theme_restyles_the_sheet_and_the_charts(qtbot: Any) -> None:
    from app.widgets.time_charts import MessagesChart

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    chart = MessagesChart()
    qtbot.addWidget(chart)
    try:
        assert theme.apply_theme(app, "dark") == "dark"
        assert "#0f1519" in app.styleSheet() and "#f4f6f8" not in app.styleSheet()
        assert "chevron-down-dark.svg" in app.styleSheet()
        assert chart.plot.backgroundBrush().color().name() == theme.paint("chart_bg") == "#1b2329"
        # Sizes follow the system font, in points.
        assert "px;" not in app.styleSheet().split("font-size", 1)[1][:12]
        assert theme.apply_theme(app, "light") == "light"
        assert chart.plot.backgroundBrush().color().name() == "#ffffff"
    finally:
        theme.apply_theme(app, "light")


def test_theme_choice_is_kept_and_system_follows_the_style_hints(qtbot: Any) -> None:
    theme.save_choice("dark")
    assert theme.saved_choice() == "dark"
    theme.save_choice("system")
    assert theme.resolve("system") == theme.system_theme()


def test_window_fits_the_screen_and_lists_its_shortcuts(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    area = window.screen().availableGeometry()
    # Never larger than the screen, unless the screen is below the window's minimum (the
    # offscreen platform's 800x800).
    assert window.width() <= max(area.width(), window.minimumWidth())
    assert window.height() <= max(area.height(), window.minimumHeight())
    assert window.width() >= min(area.width(), 1440) * 0.9 or window.width() == window.minimumWidth()
    window.resize(1024, 640)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar_compact)
    assert window.sidebar.item(0).toolTip() == "Dashboard (Ctrl+1)"
    help_menu = window.menuBar().actions()[0].menu()
    keys = help_menu.actions()[0]
    assert keys.text() == "&Keyboard shortcuts" and keys.shortcut().toString() == "F1"
    from app.views.shortcuts_dialog import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    listed = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Ctrl+Return" in " ".join(listed) or "Ctrl+Enter" in " ".join(listed)
    assert "Ctrl+F" in listed
    # Geometry is remembered for the next start.
    # (The offscreen screen is 800x800: the width stays at the window's minimum.)
    window.resize(900, 610)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (900, 610)
    again.shutdown()


def test_settings_puts_the_connection_card_under_the_form_when_narrow(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    settings = window.pages["settings"]
    window.navigate("settings")
    window.resize(1024, 640)
    window.show()
    qtbot.waitUntil(lambda: settings.pair.direction() == QBoxLayout.Direction.TopToBottom)
    assert settings.width() < 1150
    window.resize(1900, 1000)
    qtbot.waitUntil(lambda: settings.pair.direction() == QBoxLayout.Direction.LeftToRight)
    window.shutdown()


def test_settings_theme_override_applies_and_is_kept(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    settings = window.pages["settings"]
    try:
        settings.theme_choice.setCurrentIndex(settings.theme_choice.findData("dark"))
        assert theme.current() == "dark" and theme.saved_choice() == "dark"
        settings.theme_choice.setCurrentIndex(settings.theme_choice.findData("light"))
        assert theme.current() == "light" and theme.saved_choice() == "light"
    finally:
        theme.save_choice("system")
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        theme.apply_theme(app, "light")
        window.shutdown()

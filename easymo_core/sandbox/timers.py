"""Timers on the server's event loop that can all be cancelled at once (reset, stop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Timers:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handles: set[asyncio.TimerHandle] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def bound(self) -> bool:
        return self._loop is not None

    def later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` on the loop after ``delay`` seconds."""
        assert self._loop is not None, "timers used before the server started"
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._handles.discard(handle)
            callback(*args)

        handle = self._loop.call_later(delay, fire)
        self._handles.add(handle)

    def cancel_all(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def __len__(self) -> int:
        return len(self._handles)

"""The outermost layer of the sandbox app: the request log and injected faults.

Plain ASGI, not Starlette middleware, for two reasons: it costs next to nothing on the hot
path (one dict and one wrapped ``send``), and only here is uvicorn's own ``send`` at hand,
which a dropped connection needs (see ``faults.drop_connection``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from easymo_core.sandbox.faults import FaultPlan, drop_connection
from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.responses import send_json
from easymo_core.sandbox.runtime import SandboxRuntime

CONTROL_PREFIX = "/_sandbox"
_OUTAGE_CODES = {500: 131000, 502: 131016, 503: 131016, 504: 131016}

Scope = dict[str, Any]


class GraphMiddleware:
    def __init__(self, app: Any, runtime: SandboxRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        rt = self.runtime
        rt.state.counters["requests"] += 1
        method, path = scope["method"], scope["path"]
        kind = "send" if method == "POST" and path.endswith("/messages") else "request"
        entry: dict[str, Any] = {"kind": kind, "at": time.time(), "method": method, "path": path}
        scope["sandbox.entry"] = entry

        async def send_logged(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        try:
            if not rt.faults.any_armed(rt.config):
                await self.app(scope, receive, send_logged)
            else:
                await self._with_faults(scope, receive, send, send_logged, entry, rt.faults.plan(rt.config))
        finally:
            rt.state.add_log(entry)

    async def _with_faults(
        self, scope: Scope, receive: Any, send: Any, send_logged: Any,
        entry: dict[str, Any], plans: list[FaultPlan],
    ) -> None:
        final = None
        for plan in plans:
            if plan.kind == "slow":
                entry["fault"] = f"slow {plan.seconds:g}s"
                await asyncio.sleep(plan.seconds)
            else:
                final = plan
        if final is None:
            await self.app(scope, receive, send_logged)
            return
        entry["fault"] = f"{final.kind} {'after' if final.after else 'before'} processing"
        if final.after:
            async def swallow(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    entry["processed_status"] = message["status"]

            await self.app(scope, receive, swallow)
        if final.kind == "drop" and await drop_connection(send):
            entry["status"] = None
            return
        error = GraphError(
            _OUTAGE_CODES.get(final.status, 131000),
            "Injected by the sandbox: the service is temporarily unavailable.",
            status=final.status,
        )
        entry["status"] = final.status
        entry["code"] = error.code
        await send_json(send, final.status, error.envelope(self.runtime.ids.fbtrace_id()))

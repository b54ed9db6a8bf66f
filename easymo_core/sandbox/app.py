"""The sandbox's ASGI application: control routes, Graph routes, Graph-shaped errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from easymo_core.sandbox import control_routes, graph_routes, upload_routes
from easymo_core.sandbox.control_routes import ControlError, control_error_response
from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.middleware import GraphMiddleware
from easymo_core.sandbox.responses import error_response
from easymo_core.sandbox.runtime import SandboxRuntime


def build_app(runtime: SandboxRuntime) -> GraphMiddleware:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.startup()
        try:
            yield
        finally:
            await runtime.shutdown()

    async def on_graph_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GraphError)
        entry = request.scope.get("sandbox.entry")
        if entry is not None:
            entry["code"] = exc.code
        return error_response(exc, runtime.ids.fbtrace_id())

    async def on_control_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ControlError)
        return control_error_response(exc)

    async def on_crash(request: Request, exc: Exception) -> Response:
        # A sandbox bug: answer like Graph's own 500 (uvicorn still logs the traceback).
        return error_response(GraphError(1, status=500), runtime.ids.fbtrace_id())

    handlers: dict[Any, Any] = {
        GraphError: on_graph_error,
        ControlError: on_control_error,
        Exception: on_crash,
    }
    app = Starlette(
        # Sends first: they are nearly all the traffic. Control paths before the generic
        # /{version}/{object_id} routes, which would match them too.
        routes=[graph_routes.SEND_ROUTE, control_routes.MOUNT, *upload_routes.ROUTES, *graph_routes.ROUTES],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return GraphMiddleware(app, runtime)

"""Meta's Resumable Upload API in the sandbox: the way template header samples reach Meta.

``POST /{version}/{app-id}/uploads?file_name&file_length&file_type`` opens a session and answers
``{"id": "upload:<session>"}``; ``POST /{version}/upload:<session>`` with the header
``file_offset`` and bytes appends them, answering ``{"h": "<handle>"}`` once the file is whole;
``GET /{version}/upload:<session>`` answers ``{"id", "file_offset"}`` so a client resumes where
the server's copy ends. The token comes as ``Authorization: OAuth <token>`` (Meta's examples) or
``Bearer``.

Meta's OpenAPI description of the messaging API does not cover this API; the shapes follow
Meta's Resumable Upload API page. Unverified: the error codes for a wrong offset or an unknown
session (100 here).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easymo_core.sandbox.graph_errors import GraphError, unknown_object
from easymo_core.sandbox.graph_routes import _enter
from easymo_core.sandbox.responses import json_response
from easymo_core.sandbox.upload_store import MAX_FILE_LENGTH, UploadStore

# The file_type values Meta's Resumable Upload API page lists; kept here, not taken from the
# client's media rules, so the sandbox cannot agree with a mistake there.
UPLOAD_FILE_TYPES = ("application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4")


def _store(request: Request) -> UploadStore:
    store: UploadStore = request.app.state.runtime.uploads
    return store


async def open_session(request: Request) -> Response:
    rt, app_id, method = _enter(request)  # the Graph routes' version check and token check
    if method != "POST" or app_id != rt.config.app_id:
        raise unknown_object(app_id, method)
    q = request.query_params
    name, file_type, length = q.get("file_name", ""), q.get("file_type", ""), q.get("file_length", "")
    if not name:
        raise GraphError(100, message="(#100) The parameter file_name is required")
    if file_type not in UPLOAD_FILE_TYPES:
        raise GraphError(100, message="(#100) Param file_type must be one of "
                                      f"{{{', '.join(UPLOAD_FILE_TYPES)}}}")
    if not length.isdigit() or not 0 < int(length) <= MAX_FILE_LENGTH:
        raise GraphError(100, message="(#100) Param file_length must be a positive number of bytes "
                                      f"up to {MAX_FILE_LENGTH}")
    session = _store(request).open(name, file_type, int(length))
    return json_response({"id": session.id})


async def session(request: Request) -> Response:
    _rt, tail, method = _enter(request)
    store = _store(request)
    sid = "upload:" + tail
    current = store.sessions.get(sid)
    if current is None:
        raise GraphError(100, message=f"(#100) Upload session {sid} does not exist or has expired")
    if method == "GET":
        return json_response({"id": sid, "file_offset": len(current.data)})
    if method != "POST":
        raise unknown_object(sid, method)
    offset = request.headers.get("file_offset", "")
    if not offset.isdigit() or int(offset) != len(current.data):
        raise GraphError(100, message=f"(#100) file_offset {offset or '(missing)'} does not match "
                                      f"the {len(current.data)} bytes received: resume from there")
    body = await request.body()
    if len(current.data) + len(body) > current.file_length:
        raise GraphError(100, message="(#100) More bytes than the session's file_length")
    current.data += body
    if len(current.data) < current.file_length:
        return json_response({"id": sid, "file_offset": len(current.data)})
    return json_response({"h": store.finish(current)})


ROUTES = [
    Route("/{version}/upload:{object_id}", session, methods=["GET", "POST", "DELETE", "PUT"]),
    Route("/{version}/{object_id}/uploads", open_session, methods=["GET", "POST", "DELETE"]),
]

"""Graph cursor paging: where the next page of a list starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

# Far beyond any real list (a WABA holds a few hundred templates): only a server that
# pages forever gets here.
MAX_PAGES = 1000


def next_page_params(data: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, str] | None:
    """The query for the page after ``data``, or None on the last page.

    The ``after`` cursor is applied to our own URL rather than following ``paging.next``:
    Graph puts the access token into ``next``, and ``next`` may name another host than the
    profile's Graph URL. Without a cursor, the query of ``next`` is used, minus the token.
    """
    paging = data.get("paging")
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    if after:
        return {**params, "after": str(after)}
    query = dict(httpx.URL(str(paging["next"])).params)
    query.pop("access_token", None)
    return query

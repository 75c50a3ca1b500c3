"""JSON error answers: a status, a machine-readable code and a sentence in the viewer's language."""

from __future__ import annotations

import json

from aiohttp import web


def fail(status: int, code: str, message: str) -> web.HTTPException:
    """An HTTP error whose body is ``{"error": code, "message": message}``."""
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False)
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        414: web.HTTPRequestURITooLong,
        415: web.HTTPUnsupportedMediaType,
    }
    return kinds[status](text=body, content_type="application/json")

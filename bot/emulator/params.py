"""Reading Bot API call parameters from form, multipart, JSON or query-string requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed access to one call's parameters; PTB JSON-encodes non-string values as strings."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self) -> dict[str, Any]:
        """Return the parameters as received, uploads replaced by their file names."""
        out = dict(self.values)
        for name, upload in self.uploads.items():
            out[name] = f"<upload {upload.filename} {len(upload.data)} bytes>"
        return out

    def opt_str(self, name: str, default: str | None = None) -> str | None:
        """Return a string parameter (non-strings from JSON bodies are stringified)."""
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def req_str(self, name: str) -> str:
        """Return a required non-empty string parameter or raise ``<name> is empty``."""
        value = self.opt_str(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def opt_int(self, name: str, default: int | None = None) -> int | None:
        """Return an integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def req_int(self, name: str) -> int:
        """Return a required integer parameter."""
        value = self.opt_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def opt_float(self, name: str, default: float | None = None) -> float | None:
        """Return a float parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter (``true``/``1`` are true)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")

    def json_value(self, name: str) -> Any:
        """Return a JSON-valued parameter decoded (already-decoded values pass through)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self, name: str = "chat_id") -> int | str:
        """Return a chat id: an integer, or an ``@username`` string."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None


async def parse_request(request: web.Request) -> Params:
    """Read the parameters of a Bot API request in any of the encodings Telegram accepts."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if isinstance(body, dict):
                values.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, item in form.items():
                if isinstance(item, FileField):
                    data = item.file.read()
                    uploads[key] = Upload(key, item.filename, item.content_type, data)
                elif isinstance(item, bytes | bytearray):
                    values[key] = bytes(item).decode("utf-8", "replace")
                else:
                    values[key] = item
    return Params(values, uploads)

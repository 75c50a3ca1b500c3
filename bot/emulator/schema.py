"""Every call the fake receives is checked against the Bot API schema and Telegram's limits.

The schema (``botapi/schema-10.1.json``, vendored from the Bot API 10.1 documentation) gives
each method's parameters and each type's fields: their names, types (``Integer``, ``String``,
``Boolean``, ``Float``, ``InputFile``, ``Array of X``, an object type, or ``X or Y``) and
whether they are required. A call that real Telegram would refuse is answered with HTTP 400
(404 for an unknown method) and recorded, so the test that made it fails at teardown.

Limits the schema does not carry (from the Bot API documentation):

- message text: 1–4096 characters after entities parsing
- caption: 0–1024 characters
- callback_data: 1–64 bytes (UTF-8)
- answerCallbackQuery text: 0–200 characters
- inline keyboard: at most 100 buttons in all; at most 8 per row (server behaviour)
- each button: exactly one of url, callback_data, web_app, login_url, switch_inline_query…,
  pay, copy_text
- setMyCommands: 1–100 commands; command 1–32 chars of ``[a-z0-9_]``; description 1–256
  characters; ``language_code`` a two-letter ISO 639-1 code or empty
- sendMediaGroup: 2–10 items; photos and videos may mix, documents and audio only with their
  own kind
- deep-link ``start`` parameter: 1–64 characters of ``[A-Za-z0-9_-]`` (not a call: the bot's
  own config checks cover it)
- parse_mode HTML: tags b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler",
  tg-spoiler, a href, tg-emoji, code, pre, blockquote (expandable); only ``&lt; &gt; &amp;
  &quot;`` named entities (``formatting.py`` parses them)
- editMessage*: "message is not modified" (400) when nothing changed (the handlers check it:
  it depends on the message, not on the call)

Two deliberate differences from Telegram: an unknown parameter is refused (Telegram ignores it,
which hides a misspelt name), and a plain string stands for a KeyboardButton (the docs allow it).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ApiError
from .limits import (
    LANGUAGE as _LANGUAGE,
)
from .limits import (
    MAX_CALLBACK_ANSWER,
    MAX_COMMANDS,
    MAX_TEXT,
    OBJECT_RULES,
    no_rule,
    text_length,
)
from .limits import (
    Invalid as _Invalid,
)
from .params import Params

SCHEMA_FILE = Path(__file__).resolve().parent / "botapi" / "schema-10.1.json"

_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_ARRAY = "Array of "
_CAPTION_METHODS = frozenset(
    {
        "copyMessage",
        "editMessageCaption",
        "sendAnimation",
        "sendAudio",
        "sendDocument",
        "sendLivePhoto",
        "sendPaidMedia",
        "sendPhoto",
        "sendVideo",
        "sendVoice",
    }
)
_MEDIA_GROUP_KINDS = {
    "photo": "visual",
    "video": "visual",
    "live_photo": "visual",
    "document": "document",
    "audio": "audio",
}


@dataclass(frozen=True)
class Rejection:
    """Why a call was refused: the parameter (a path into nested objects) and the reason."""

    method: str
    parameter: str
    reason: str
    code: int = 400

    @property
    def description(self) -> str:
        """Telegram's wording: ``Bad Request: …`` (``Not Found`` for an unknown method)."""
        if self.code == 404:
            return "Not Found"
        return f"Bad Request: {self.reason}" + (f" ({self.parameter})" if self.parameter else "")

    def error(self) -> ApiError:
        """The error answer for this rejection."""
        return ApiError(self.code, self.description)


@dataclass(frozen=True)
class _Field:
    name: str
    required: bool
    types: tuple[str, ...]


class Schema:
    """The Bot API's methods and types, with a checker for one call."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version = str(raw.get("version", ""))
        self.methods: dict[str, tuple[str, dict[str, _Field]]] = {
            name.lower(): (name, _fields(spec["fields"])) for name, spec in raw["methods"].items()
        }
        self.types: dict[str, dict[str, _Field]] = {
            name: _fields(spec["fields"]) for name, spec in raw["types"].items()
        }
        self.subtypes: dict[str, tuple[str, ...]] = {
            name: tuple(spec["subtypes"])
            for name, spec in raw["types"].items()
            if spec.get("subtypes")
        }
        # A member of a family (BotCommandScopeChat of BotCommandScope) carries its kind in
        # "type": the name's tail in snake case ("chat"); cached inline results drop "cached_".
        self.kind_of: dict[str, str] = {}
        for parent, members in self.subtypes.items():
            for member in members:
                if member.startswith(parent) and "type" in self.types.get(member, {}):
                    kind = _snake(member[len(parent) :])
                    self.kind_of[member] = kind.removeprefix("cached_")

    def check(self, method: str, params: Params) -> Rejection | None:
        """Return why Telegram would refuse this call, or None when it is well-formed."""
        found = self.methods.get(method.lower())
        if found is None:
            return Rejection(method, "", f"unknown method {method!r}", code=404)
        name, fields = found
        try:
            _Call(self, name, fields, params).run()
        except _Invalid as bad:
            return Rejection(name, bad.path, bad.reason)
        return None


@functools.cache
def schema() -> Schema:
    """The vendored Bot API schema, read once."""
    return Schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def _fields(raw: list[dict[str, Any]]) -> dict[str, _Field]:
    return {f["name"]: _Field(f["name"], bool(f["required"]), tuple(f["types"])) for f in raw}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Call:
    """One call being checked: types first, then the limits of the method and its objects."""

    def __init__(
        self, schema: Schema, method: str, fields: dict[str, _Field], params: Params
    ) -> None:
        self.schema = schema
        self.method = method
        self.fields = fields
        self.params = params
        self.decoded: dict[str, Any] = {}
        self.attached: set[str] = set()

    def run(self) -> None:
        values, uploads = self.params.values, self.params.uploads
        for name in values:
            if name not in self.fields:
                raise _Invalid(name, f"unknown parameter {name!r} of {self.method}")
        for field in self.fields.values():
            if field.name in uploads and field.name not in values:
                if "InputFile" not in field.types:
                    raise _Invalid(field.name, f"a file cannot be uploaded as {field.name!r}")
                self.decoded[field.name] = uploads[field.name]
            elif field.name in values:
                self.decoded[field.name] = self.top(field, values[field.name])
            elif field.required:
                raise _Invalid(field.name, f"required parameter {field.name!r} is missing")
        for name in uploads:
            if name not in self.fields and name not in self.attached:
                raise _Invalid(name, f"file part {name!r} is neither a parameter nor attached")
        self.limits()

    # --- types ----------------------------------------------------------------------------

    def top(self, field: _Field, raw: Any) -> Any:
        """A parameter as sent (form values are strings; objects and arrays JSON in them)."""
        if field.name == "media" and self.method == "sendMediaGroup":
            return self.media_group(self.json(field.name, raw))
        errors: list[tuple[str, _Invalid]] = []
        for kind in field.types:
            try:
                return self.top_one(field.name, kind, raw)
            except _Invalid as bad:
                errors.append((kind, bad))
        raise self.pick(errors, field.name, _probe(raw))

    def top_one(self, path: str, kind: str, raw: Any) -> Any:
        if kind == "InputFile":
            raise _Invalid(path, "expected an uploaded file")
        if isinstance(raw, str):
            if kind == "Integer":
                if not _INTEGER.fullmatch(raw.strip()):
                    raise _Invalid(path, f"expected an Integer, got {raw[:40]!r}")
                return int(raw)
            if kind == "Float":
                try:
                    return float(raw)
                except ValueError:
                    raise _Invalid(path, f"expected a Float, got {raw[:40]!r}") from None
            if kind == "Boolean":
                if raw.strip().lower() not in _BOOLEANS:
                    raise _Invalid(path, f"expected a Boolean, got {raw[:40]!r}")
                return _BOOLEANS[raw.strip().lower()]
            if kind == "String":
                self.note_attach(path, raw)
                return raw
            raw = self.json(path, raw)
        return self.value(path, kind, raw)

    def json(self, path: str, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        try:
            return json.loads(raw)
        except ValueError:
            raise _Invalid(path, f"can't parse {path} JSON object") from None

    def value(self, path: str, kind: str, value: Any) -> Any:
        """A JSON value (nested, or a decoded parameter) against one type."""
        if kind.startswith(_ARRAY):
            if not isinstance(value, list):
                raise _Invalid(path, f"expected an {kind}, got {_json_kind(value)}")
            inner = kind[len(_ARRAY) :]
            return [self.value(f"{path}[{i}]", inner, item) for i, item in enumerate(value)]
        if kind == "Integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Invalid(path, f"expected an Integer, got {_json_kind(value)}")
        elif kind == "Float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Invalid(path, f"expected a Float, got {_json_kind(value)}")
        elif kind == "Boolean":
            if not isinstance(value, bool):
                raise _Invalid(path, f"expected a Boolean, got {_json_kind(value)}")
        elif kind == "String":
            if not isinstance(value, str):
                raise _Invalid(path, f"expected a String, got {_json_kind(value)}")
            self.note_attach(path, value)
        elif kind == "InputFile":
            if not (isinstance(value, str) and value.startswith("attach://")):
                raise _Invalid(path, "expected an attach://<file part> reference")
            self.note_attach(path, value)
        elif kind in self.schema.subtypes:
            self.family(path, kind, value)
        elif kind in self.schema.types:
            self.object(path, kind, value)
        else:
            raise _Invalid(path, f"the schema has no type {kind!r}")
        return value

    def family(self, path: str, kind: str, value: Any) -> None:
        """One of a family's members, chosen by its "type" (or any member that fits)."""
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected a {kind} object, got {_json_kind(value)}")
        members = self.schema.subtypes[kind]
        named = [m for m in members if self.schema.kind_of.get(m) == value.get("type")]
        if not named and any(m in self.schema.kind_of for m in members):
            raise _Invalid(f"{path}.type", f"unknown {kind} type {value.get('type')!r}")
        errors: list[tuple[str, _Invalid]] = []
        for member in named or members:
            try:
                self.value(path, member, value)
                return
            except _Invalid as bad:
                errors.append((member, bad))
        raise self.pick(errors, path, value)

    def object(self, path: str, kind: str, value: Any) -> None:
        if kind == "KeyboardButton" and isinstance(value, str):
            return  # the docs allow a plain string for a text-only reply-keyboard button
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected a {kind} object, got {_json_kind(value)}")
        fields = self.schema.types[kind]
        for name in value:
            if name not in fields:
                raise _Invalid(f"{path}.{name}", f"unknown field {name!r} of {kind}")
        for field in fields.values():
            where = f"{path}.{field.name}"
            if field.name not in value:
                if field.required:
                    raise _Invalid(where, f"required field {field.name!r} of {kind} is missing")
                continue
            errors: list[tuple[str, _Invalid]] = []
            for alternative in field.types:
                try:
                    self.value(where, alternative, value[field.name])
                    break
                except _Invalid as bad:
                    errors.append((alternative, bad))
            else:
                raise self.pick(errors, where, value[field.name])
        expected = self.schema.kind_of.get(kind)
        if expected is not None and value.get("type") != expected:
            raise _Invalid(f"{path}.type", f"a {kind} has type {expected!r}")
        OBJECT_RULES.get(kind, no_rule)(path, value)

    def pick(self, errors: list[tuple[str, _Invalid]], path: str, value: Any) -> _Invalid:
        """When no alternative of ``X or Y`` fits: the error of the one the value looks like."""
        if len(errors) == 1:
            return errors[0][1]
        likely = [bad for kind, bad in errors if self.looks_like(kind, value)]
        if likely:
            return _deepest(likely)
        kinds = " or ".join(kind for kind, _ in errors)
        return _Invalid(path, f"expected {kinds}, got {_json_kind(value)}")

    def looks_like(self, kind: str, value: Any) -> bool:
        """An object with all of a type's required fields was meant to be one."""
        fields = self.schema.types.get(kind)
        if not fields or not isinstance(value, dict):
            return False
        return all(f.name in value for f in fields.values() if f.required)

    def note_attach(self, path: str, value: str) -> None:
        """``attach://<name>`` must name a file part of the request."""
        if value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in self.params.uploads:
                raise _Invalid(path, f"no file part {name!r} for {value!r}")
            self.attached.add(name)

    def media_group(self, media: Any) -> Any:
        """sendMediaGroup: 2–10 items; photos and videos mix, documents and audio stay apart."""
        if not isinstance(media, list):
            raise _Invalid("media", f"expected an Array of InputMedia, got {_json_kind(media)}")
        if not 2 <= len(media) <= 10:
            raise _Invalid("media", f"wrong number of media ({len(media)}): must be 2-10")
        for i, item in enumerate(media):
            self.family(f"media[{i}]", "InputMedia", item)
        groups = {_MEDIA_GROUP_KINDS.get(str(item.get("type")), "other") for item in media}
        if len(groups) > 1 or "other" in groups:
            kinds = sorted({str(item.get("type")) for item in media})
            raise _Invalid("media", f"these media kinds cannot be one album: {kinds}")
        return media

    # --- limits ---------------------------------------------------------------------------

    def limits(self) -> None:
        """What the schema does not say: lengths, counts and commands."""
        d = self.decoded
        text_method = self.method in ("sendMessage", "editMessageText")
        if text_method and ("text" in d or "rich_message" not in d):
            text_length(
                "text", d.get("text") or "", d.get("parse_mode"), d.get("entities"), MAX_TEXT
            )
        if self.method in _CAPTION_METHODS and "caption" in d:
            text_length(
                "caption", d["caption"], d.get("parse_mode"), d.get("caption_entities"), None
            )
        if self.method == "answerCallbackQuery" and len(d.get("text") or "") > MAX_CALLBACK_ANSWER:
            raise _Invalid(
                "text",
                f"MESSAGE_TOO_LONG: {len(d['text'])} characters, at most {MAX_CALLBACK_ANSWER}",
            )
        if self.method == "setMyCommands" and not 1 <= len(d["commands"]) <= MAX_COMMANDS:
            raise _Invalid(
                "commands", f"BOT_COMMANDS_TOO_MUCH: {len(d['commands'])}, must be 1-100"
            )
        language = d.get("language_code")
        if isinstance(language, str) and not _LANGUAGE.fullmatch(language):
            raise _Invalid(
                "language_code",
                f"LANG_CODE_INVALID: {language!r} is not a two-letter ISO 639-1 code or empty",
            )


def _deepest(errors: list[_Invalid]) -> _Invalid:
    """Of several errors, the one that got furthest into the value says most."""
    return max(errors, key=lambda e: (e.path.count(".") + e.path.count("["), len(e.path)))


def _probe(raw: Any) -> Any:
    """A form value as the JSON it may hold (for telling which alternative was meant)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a String"
    if isinstance(value, list):
        return "an Array"
    return "an object"

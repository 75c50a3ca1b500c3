"""Reading config.yaml: YAML, ${VAR} expansion, env overrides and readable error messages."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.config.checks import check_settings
from bot.config.models import Settings

# Environment variables that override a config key outright (deployment knobs).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "DATABASE_PATH": ("storage", "path"),
    "DATABASE_URL": ("storage", "url"),
    "WEB_LISTEN": ("web", "listen"),
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """The config is unusable; ``errors`` lists every problem as "place: what is wrong"."""

    def __init__(self, errors: list[str], source: str | None = None) -> None:
        self.errors = list(errors)
        self.source = source
        super().__init__(self.errors)

    def __str__(self) -> str:
        """All problems, one per line, under a heading naming the file."""
        where = f"{self.source}: " if self.source else ""
        count = len(self.errors)
        head = f"{where}{count} problem{'s' if count != 1 else ''} in the configuration"
        return "\n".join([head, *(f"  - {e}" for e in self.errors)])


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and duplicate-key detection.

    YAML 1.1 reads `off:` / `on` / `yes` / `no` as booleans, which would turn the roster key `off`
    into False; and a repeated key silently replaces the first, hiding half a section.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing keys that appear twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become a ConfigError naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read ({exc})"], str(path)) from None
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: still safe
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        # A ConstructorError (a duplicate key) is well-formed YAML, so no "syntax" label.
        if not isinstance(exc, yaml.constructor.ConstructorError):
            problem = f"YAML syntax error: {problem}"
        raise ConfigError([f"{path}{line}: {problem}"], str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: {exc}"], str(path)) from None


def expand_env(value: Any, env: Mapping[str, str]) -> Any:
    """Replace ${VAR} and ${VAR:-default} in every string value (unset → "" or the default)."""
    if isinstance(value, str):
        # Like the shell, ":-" also applies when the variable is set but empty.
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: expand_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env) for v in value]
    return value


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Let TELEGRAM_API_BASE_URL, DATABASE_URL/PATH and WEB_LISTEN (non-empty) win over the file.

    The database: DATABASE_URL, else DATABASE_PATH, else storage.url, else storage.path.
    """
    result = dict(data)
    for var, (section, key) in ENV_OVERRIDES.items():
        value = env.get(var)
        if not value or (var == "DATABASE_PATH" and env.get("DATABASE_URL")):
            continue
        current = result.get(section)
        if current is None:
            current = {}
        if isinstance(current, dict):  # anything else is reported by validation as it stands
            merged = {**current, key: value}
            if section == "storage" and not ("url" in current and "path" in current):
                # The variable replaces whichever of url and path the file used; a file that
                # gives both is still reported as the mistake it is.
                merged.pop("path" if key == "url" else "url", None)
            result[section] = merged
    return result


def _place(loc: tuple[int | str, ...]) -> str:
    """('estates', 1, 'areas', 2, 'id') → 'estates[1].areas[2].id'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "date_type": "a date like 2026-10-01",
    "date_parsing": "a date like 2026-10-01",
    "date_from_datetime_parsing": "a date like 2026-10-01",
    "date_from_datetime_inexact": "a date like 2026-10-01",
}


def _message(err: ErrorDetails) -> str:
    """Turn one pydantic error into plain English."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    given = err.get("input")
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in _TYPE_WORDS:
        shown = "nothing" if given is None else repr(given)
        return f"expected {_TYPE_WORDS[kind]}, got {shown}"
    if kind == "literal_error":
        return f"{given!r} is not one of {ctx.get('expected', '?')}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s)"
    bounds = {
        "greater_than": "more than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # "less than 1", not "less than 1.0"
        return f"{given!r} must be {bounds[kind]} {limit}"
    return err["msg"]


def validation_errors(exc: ValidationError) -> list[str]:
    """Map a pydantic ValidationError to "place: problem" lines."""
    lines = []
    for err in exc.errors(include_url=False):
        lines.append(f"{_place(tuple(err['loc']))}: {_message(err)}")
    # Union/nullable schemas can report the same place twice; keep the first of each.
    return list(dict.fromkeys(lines))


def settings_from_data(data: Any, source: str | None = None) -> Settings:
    """Validate already-parsed config data (after env expansion); raise ConfigError on problems."""
    if data is None:
        raise ConfigError(["the configuration is empty"], source)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"(top level): expected a mapping (key: value lines), got {type(data).__name__}"],
            source,
        )
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_errors(exc), source) from None
    problems = check_settings(settings)
    if problems:
        raise ConfigError(problems, source)
    return settings


def load_settings(path: Path | str, env: Mapping[str, str] = os.environ) -> Settings:
    """Read, expand, override and validate config.yaml; ConfigError lists every problem."""
    path = Path(path)
    data = read_yaml(path)
    data = expand_env(data, env)
    if isinstance(data, dict):
        data = apply_env_overrides(data, env)
    return settings_from_data(data, str(path))

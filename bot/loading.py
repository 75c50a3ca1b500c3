"""Loading everything the bot needs at start-up, with every error named."""

from __future__ import annotations

from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.core.flow import Flow, FlowError, load_flows
from bot.core.sources import SOURCE_NAMES
from bot.texts import default_catalog

# The flows the bot starts by id, and what each is for.
REQUIRED_FLOWS: dict[str, str] = {
    "intake": "the owner's report conversation",
    "survey": "the owner's rating details after a resolution",
    "not_fixed": "the owner says the problem is still there",
    "owner_message": "the owner adds to a ticket",
    "reply": "staff reply to the owner",
    "note": "staff internal note",
    "transfer": "staff hand a ticket on",
    "resolve": "staff resolve a ticket",
    "phone": "the owner gives or changes their phone number",
    "notice": "a supervisor's notice to owners, step by step (/notice alone)",
}

# The answers the bot reads when each flow is submitted: field → the step types that give it.
# An edited flow that drops or renames one of these would fail only when an owner submits.
NEEDED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "intake": {
        "category": ("choice",),
        "estate": ("choice",),
        "urgency": ("choice",),
        "description": ("text",),
    },
    "survey": {},
    "not_fixed": {"what": ("text",)},
    "owner_message": {"message": ("message",)},
    "reply": {"message": ("message",)},
    "note": {"text": ("text",)},
    "transfer": {"target": ("choice",), "reason": ("text",)},
    "resolve": {"note": ("text",)},
    "phone": {"phone": ("contact",)},
    "notice": {
        "estate": ("choice",),
        "buildings": ("multi",),
        "kind": ("choice",),
        "start": ("choice", "text"),
        "text": ("text",),
    },
}


class LoadError(Exception):
    """The config or a flow file is invalid; ``errors`` names every problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def default_flows_dir(config_path: Path) -> Path:
    """Flows live in ``flows/`` beside config.yaml unless told otherwise."""
    return config_path.resolve().parent / "flows"


def load_all(config_path: Path, flows_dir: Path | None = None) -> tuple[Settings, dict[str, Flow]]:
    """Validate config.yaml and the flow files together; raise LoadError listing all problems."""
    errors: list[str] = []
    settings: Settings | None = None
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        errors.extend(
            e if e.startswith(config_path.name) else f"{config_path.name}: {e}" for e in exc.errors
        )
    catalog = default_catalog()
    flows: dict[str, Flow] = {}
    try:
        flows = load_flows(
            flows_dir or default_flows_dir(config_path),
            sources=SOURCE_NAMES,
            has_text=catalog.missing,
        )
    except FlowError as exc:
        errors.extend(exc.errors)
    if not errors:
        errors.extend(
            f"flows: no flow with id '{flow_id}' ({what}); restore flows/{flow_id}.yaml"
            for flow_id, what in REQUIRED_FLOWS.items()
            if flow_id not in flows
        )
    for flow_id, flow in flows.items():
        errors.extend(missing_fields(flow, NEEDED_FIELDS.get(flow_id, {})))
    if errors or settings is None:
        raise LoadError(errors)
    return settings, flows


def missing_fields(flow: Flow, needed: dict[str, tuple[str, ...]]) -> list[str]:
    """Name each needed field no step of the flow collects (or collects wrongly)."""
    errors: list[str] = []
    for name, types in needed.items():
        steps = [step for step in flow.steps.values() if step.field == name]
        kinds = " or ".join(types)
        where = f"{flow.path.name}: flow '{flow.id}'"
        if not steps:
            errors.append(
                f"{where}: no step collects '{name}' ({kinds}), which the bot needs"
                " when the flow is submitted"
            )
        for step in steps:
            if step.type not in types:
                errors.append(
                    f"{where}: step '{step.id}' collects '{name}' as {step.type};"
                    f" the bot needs {kinds}"
                )
            elif step.optional:
                errors.append(
                    f"{where}: step '{step.id}' collects '{name}', which the bot"
                    " needs: it cannot be optional"
                )
    return errors

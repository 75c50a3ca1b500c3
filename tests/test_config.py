"""config.yaml: the shipped sample, durations, env handling and the error messages."""

from __future__ import annotations

import copy
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import (
    SUPPORTED_LANGUAGES,
    ConfigError,
    Duration,
    Settings,
    TimeWindow,
    expand_env,
    format_duration,
    load_settings,
    parse_duration,
    read_yaml,
    settings_from_data,
    summarize,
)
from bot.timewindow import weekday_name

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def shipped() -> Settings:
    """The sample config as shipped, with no environment."""
    return load_settings(SHIPPED, env={})


@pytest.fixture
def raw() -> dict[str, Any]:
    """The sample config as plain data, to break in tests."""
    data = read_yaml(SHIPPED)  # not yaml.safe_load: YAML 1.1 would read the key `off` as False
    assert isinstance(data, dict)
    # Expanded as loading does: the template itself is no URL ("" means Telegram's servers).
    data["telegram"]["api_base_url"] = expand_env(data["telegram"]["api_base_url"], {})
    return copy.deepcopy(data)


def errors_of(data: Any) -> list[str]:
    """The error lines a config data tree produces."""
    with pytest.raises(ConfigError) as info:
        settings_from_data(data)
    return info.value.errors


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    """Write data as config.yaml in tmp_path."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the shipped sample ---------------------------------------------------------------------


def test_shipped_config_loads_and_summarizes(shipped: Settings) -> None:
    assert summarize(shipped) == (
        "2 estates (10 buildings, 19 areas), 15 categories, 3 urgencies, 4 departments, "
        "11 staff (3 supervisors, 1 admin), 7 roster shifts, languages zh-Hans/zh-Hant/en, "
        "timezone Asia/Shanghai"
    )


def test_shipped_config_follows_the_design_defaults(shipped: Settings) -> None:
    emergency, urgent, routine = (shipped.urgency(u) for u in ("emergency", "urgent", "routine"))
    assert emergency and urgent and routine
    assert (emergency.accept_within, emergency.resolve_within) == (
        timedelta(minutes=5),
        timedelta(hours=4),
    )
    assert (emergency.clock, emergency.show_hotline) == ("always", True)
    assert (urgent.accept_within, urgent.resolve_within, urgent.clock) == (
        timedelta(minutes=30),
        timedelta(hours=24),
        "always",
    )
    assert (routine.accept_within, routine.resolve_within, routine.clock) == (
        timedelta(hours=2),
        timedelta(days=2),
        "business",
    )
    assert shipped.ticket_prefix == "HV"
    assert shipped.business_hours.holiday_country == "CN"
    assert shipped.surveys.quiet_hours == TimeWindow(time(22), time(8))
    assert (shipped.surveys.delay, shipped.surveys.close_after) == (
        timedelta(days=1),
        timedelta(days=3),
    )
    assert shipped.telegram.token == ""
    assert shipped.telegram.api_base_url is None
    assert tuple(shipped.languages) == SUPPORTED_LANGUAGES


def test_shipped_config_every_department_has_a_supervisor_fallback(shipped: Settings) -> None:
    for dept in shipped.departments:
        assert dept.fallback is not None
        boss = shipped.staff_member(dept.fallback)
        assert boss is not None and boss.role in ("supervisor", "admin")
    assert any(d.group_chat_id is not None and d.group_chat_id < 0 for d in shipped.departments)


def test_helpers(shipped: Settings) -> None:
    lift = shipped.category("lift")
    assert lift is not None and lift.department == "maintenance"
    assert shipped.text(lift.name, "zh-Hant") == "升降機"
    assert shipped.text(lift.name, "fr") == "电梯"  # unknown language → default
    assert shipped.text({"en": "Only English"}, "zh-Hans") == "Only English"
    assert [u.id for u in shipped.urgencies_for("fees")] == ["routine"]
    assert [u.id for u in shipped.urgencies_for("lift")] == ["emergency", "urgent", "routine"]
    assert shipped.urgencies_for("nope") == []
    found = shipped.area("el-gate")
    assert found is not None and found[0].id == "emerald_lake" and found[1].building is None
    assert shipped.area("nope") is None
    assert shipped.estate("harbour_view") is not None
    assert shipped.department("security") is not None
    assert shipped.staff_member(1) is None
    assert shipped.deadlines("attitude", "routine") == (timedelta(hours=1), timedelta(days=1))
    assert shipped.deadlines("lift", "emergency") == (timedelta(minutes=5), timedelta(hours=4))
    # Departments without their own hours get the company's.
    maintenance = shipped.department("maintenance")
    assert maintenance is not None
    assert maintenance.business_hours == shipped.business_hours.windows
    assert [str(w) for w in shipped.business_windows("service")] == ["08:30-18:00"]


# --- durations and time windows --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 2h", timedelta(days=1, hours=2)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1h30m", "90s", "2d", "1d4h5m6s", "0s", "25h"])
def test_format_duration_round_trips(text: str) -> None:
    delta = parse_duration(text)
    assert parse_duration(format_duration(delta)) == delta


def test_format_duration_normalizes() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(hours=25)) == "1d1h"
    assert format_duration(timedelta(0)) == "0s"
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "'30' has no unit (use 90s, 30m, 4h or 2d)"),
        ("1.5h", "'1.5h' is not a duration (use 90s, 30m, 4h or 2d)"),
        ("5 minutes", "'5 minutes' is not a duration (use 90s, 30m, 4h or 2d)"),
        ("30m1h", "'30m1h' is not a duration (use 90s, 30m, 4h or 2d)"),
        ("", "'' is not a duration (use 90s, 30m, 4h or 2d)"),
        ("h", "'h' is not a duration (use 90s, 30m, 4h or 2d)"),
    ],
)
def test_parse_duration_rejects_junk(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


def test_duration_type_refuses_bare_numbers() -> None:
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[timedelta] = TypeAdapter(Duration)
    assert adapter.validate_python("1h30m") == timedelta(minutes=90)
    assert adapter.validate_python(timedelta(seconds=5)) == timedelta(seconds=5)
    assert adapter.dump_python(timedelta(minutes=90), mode="json") == "1h30m"
    for junk in (300, 1.5, True, None):
        with pytest.raises(ValidationError):
            adapter.validate_python(junk)


def test_time_windows() -> None:
    night = TimeWindow.parse("22:00-08:00")
    assert night.overnight and night.length == timedelta(hours=10)
    assert night.contains(time(23, 30)) and night.contains(time(7, 59))
    assert not night.contains(time(8, 0)) and not night.contains(time(12))
    whole = TimeWindow.parse("00:00-24:00")
    assert whole.length == timedelta(hours=24) and not whole.overnight
    assert str(whole) == "00:00-24:00"
    late = TimeWindow.parse("18:00-24:00")
    assert late.contains(time(23, 59, 59)) and not late.contains(time(0))
    from datetime import date

    start, end = night.bounds_on(date(2026, 11, 26))
    assert (start.day, start.hour, end.day, end.hour) == (26, 22, 27, 8)
    assert weekday_name(date(2026, 11, 26)) == "thu"
    for bad in ("8-12", "24:00-08:00", "08:60-09:00", "09:00-09:00", "08:00-24:30"):
        with pytest.raises(ValueError):
            TimeWindow.parse(bad)


# --- environment ----------------------------------------------------------------------------


def test_env_expansion(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["telegram"]["api_base_url"] = "${TELEGRAM_API_BASE_URL:-}"
    raw["hotline"] = "${HOTLINE:-400-000-0000}"
    raw["storage"]["path"] = "${DATA_DIR}/desk.sqlite3"
    path = write(tmp_path, raw)
    settings = load_settings(path, env={"TELEGRAM_BOT_TOKEN": "123:abc", "DATA_DIR": "/var/lib"})
    assert settings.telegram.token == "123:abc"
    assert settings.hotline == "400-000-0000"  # unset → the default
    assert settings.storage.path == "/var/lib/desk.sqlite3"
    assert settings.telegram.api_base_url is None  # ${TELEGRAM_API_BASE_URL:-} unset → none
    settings = load_settings(path, env={"HOTLINE": "400-111-2222"})
    assert settings.telegram.token == ""  # unset → empty
    assert settings.hotline == "400-111-2222"
    assert settings.storage.path == "/desk.sqlite3"


def test_env_overrides(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["telegram"]["api_base_url"] = "https://api.example/bot"
    path = write(tmp_path, raw)
    env = {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot", "DATABASE_PATH": "/tmp/t.db"}
    settings = load_settings(path, env=env)
    assert settings.telegram.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.storage.path == "/tmp/t.db"
    # Empty variables do not override.
    settings = load_settings(path, env={"TELEGRAM_API_BASE_URL": "", "DATABASE_PATH": ""})
    assert settings.telegram.api_base_url == "https://api.example/bot"
    assert settings.storage.path == "estatedesk.sqlite3"


def test_env_overrides_create_missing_sections(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["storage"]
    settings = load_settings(write(tmp_path, raw), env={"DATABASE_PATH": "x.db"})
    assert settings.storage.path == "x.db"


# --- storage.url ----------------------------------------------------------------------------


def test_storage_url_chooses_the_backend(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["storage"]
    settings = load_settings(write(tmp_path, raw), env={})
    assert settings.storage.url == "sqlite:///estatedesk.sqlite3"
    assert settings.storage.path == "estatedesk.sqlite3"
    assert settings.storage.backend == "sqlite"
    for url, path in (
        ("sqlite:///data/desk.db", "data/desk.db"),
        ("sqlite:////var/d.db", "/var/d.db"),
    ):
        raw["storage"] = {"url": url}
        settings = load_settings(write(tmp_path, raw), env={})
        assert (settings.storage.backend, settings.storage.path) == ("sqlite", path)
    for scheme in ("postgresql", "postgres"):
        raw["storage"] = {"url": f"{scheme}://desk:s3cret@db:5432/desk"}
        storage = load_settings(write(tmp_path, raw), env={}).storage
        assert storage.backend == "postgresql" and storage.path == ""
        assert (storage.parsed.host, storage.parsed.port, storage.parsed.database) == (
            "db",
            5432,
            "desk",
        )
        assert storage.shown == f"{scheme}://desk:***@db:5432/desk"


def test_storage_precedence(tmp_path: Path, raw: dict[str, Any]) -> None:
    """DATABASE_URL > DATABASE_PATH > storage.url > storage.path."""
    pg = "postgresql://desk:pw@db/desk"
    raw["storage"] = {"path": "file.db"}
    path = write(tmp_path, raw)
    assert load_settings(path, env={}).storage.path == "file.db"
    assert load_settings(path, env={"DATABASE_PATH": "env.db"}).storage.path == "env.db"
    both = {"DATABASE_PATH": "env.db", "DATABASE_URL": pg}
    assert load_settings(path, env=both).storage.url == pg
    raw["storage"] = {"url": "sqlite:///url.db"}
    path = write(tmp_path, raw)
    assert load_settings(path, env={}).storage.path == "url.db"
    assert load_settings(path, env={"DATABASE_PATH": "env.db"}).storage.path == "env.db"
    assert load_settings(path, env={"DATABASE_URL": pg}).storage.url == pg
    empty = {"DATABASE_URL": "", "DATABASE_PATH": ""}
    assert load_settings(path, env=empty).storage.path == "url.db"


def test_storage_url_and_path_together_are_an_error(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["storage"] = {"url": "sqlite:///a.db", "path": "b.db"}
    path = write(tmp_path, raw)
    for env in ({}, {"DATABASE_PATH": "c.db"}):
        with pytest.raises(ConfigError) as caught:
            load_settings(path, env=env)
        assert any(
            "storage: storage.url and storage.path are both set: keep one" in e
            for e in caught.value.errors
        ), caught.value.errors


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://desk:s3cret@db/desk", "'mysql://desk:***@db/desk' has unknown scheme 'mysql'"),
        ("postgresql://desk:s3cret@/desk", "'postgresql://desk:***@/desk' has no host"),
        ("postgresql://desk:s3cret@db:5432", "'postgresql://desk:***@db:5432' has no database"),
        (
            "postgresql://desk:s3cret@db:54x2/desk",
            "'postgresql://desk:***@db:54x2/desk': the port '54x2' is not a number",
        ),
        ("sqlite:///", "'sqlite:///' names no database file"),
        ("desk.sqlite3", "'desk.sqlite3' has no scheme"),
    ],
)
def test_bad_storage_urls_are_named_without_the_password(
    tmp_path: Path, raw: dict[str, Any], url: str, problem: str
) -> None:
    raw["storage"] = {"url": url}
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, raw), env={})
    assert any(e.startswith(f"storage.url: {problem}") for e in caught.value.errors), (
        caught.value.errors
    )
    assert "s3cret" not in str(caught.value)


# --- errors ---------------------------------------------------------------------------------


def test_schema_errors_are_all_reported_with_their_place() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(DATA / "broken_schema.yaml", env={})
    assert info.value.errors == [
        "timezone: unknown timezone 'Asia/Shangai'",
        "ticket_prefix: 'hv' must be 2-5 uppercase letters or digits (e.g. HV)",
        "limits.photo_max: unknown key",
        "estates[0].areas[0].id: 'lobby 1' may only contain A-Z a-z 0-9 _ - "
        "(it is used in deep links)",
        "categories[0].kind: 'repiar' is not one of "
        "'repair', 'complaint', 'enquiry', 'suggestion' or 'praise'",
        "urgencies[0].accept_within: '5 minutes' is not a duration (use 90s, 30m, 4h or 2d)",
        "urgencies[0].resolve_within: 4 has no unit (use 90s, 30m, 4h or 2d)",
        "roster_exceptions[0].hours: '25:00-08:00' is not a time window "
        "(use HH:MM-HH:MM, e.g. 08:30-12:00)",
        "surveys.dealy: unknown key",
    ]
    assert "9 problems" in str(info.value)


def test_missing_and_mistyped_values(raw: dict[str, Any]) -> None:
    del raw["categories"][3]["name"]
    del raw["hotline"]
    raw["departments"][0]["group_chat_id"] = "staff group"
    raw["staff"][0]["departments"] = "service"
    raw["roster"][0]["days"] = ["monday"]
    raw["escalation"]["nudge_at"] = 1.5
    raw["business_hours"]["extra_holidays"] = ["next friday"]
    assert errors_of(raw) == [
        "hotline: missing",
        "categories[3].name: missing",
        "departments[0].group_chat_id: expected a whole number, got 'staff group'",
        "business_hours.extra_holidays[0]: expected a date like 2026-10-01, got 'next friday'",
        "staff[0].departments: expected a list, got 'service'",
        "roster[0].days[0]: 'monday' is not one of "
        "'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun'",
        "escalation.nudge_at: 1.5 must be less than 1",
    ]


def test_cross_reference_errors_are_all_reported(raw: dict[str, Any]) -> None:
    del raw["categories"][3]["name"]["en"]  # missing translation
    raw["categories"][4]["name"]["fr"] = "Nettoyage"  # unknown language
    raw["staff"][4]["departments"] = ["cleanin"]  # typo of a department id
    raw["estates"][1]["areas"][2]["id"] = "hv-gate"  # same id as an area of the other estate
    raw["estates"][0]["areas"][0]["building"] = "7"
    raw["categories"][1]["department"] = "plumbing"
    raw["categories"][9]["urgencies"] = ["routine", "whenever"]
    raw["categories"][2]["subcategories"][0]["urgency"] = "asap"
    raw["categories"][3]["subcategories"][1]["urgency"] = "emergency"  # facilities: no emergency
    raw["departments"][1]["fallback"] = 7250983476  # role staff, not a supervisor
    raw["departments"][2]["fallback"] = 42
    raw["roster"][0]["staff"].append(6392758014)  # a security guard on the maintenance shift
    raw["roster"][1]["estate"] = "emerald"
    raw["roster_exceptions"][0]["staff"] = 99
    raw["staff"][1]["estates"] = ["nowhere"]
    raw["default_language"] = "zh-Hant"
    raw["languages"] = ["zh-Hans", "en"]
    raw["business_hours"]["windows"] = ["08:30-12:00", "11:00-18:00"]
    raw["departments"][0]["business_hours"] = ["22:00-06:00"]
    assert errors_of(raw) == [
        "default_language: 'zh-Hant' is not one of languages (zh-Hans, en)",
        "staff[10].language: 'zh-Hant' is not one of languages (zh-Hans, en)",
        "categories[3].name.en: missing",
        "categories[4].name.fr: unknown language (supported: zh-Hans, zh-Hant, en)",
        "estates[1].areas[2].id: duplicate id 'hv-gate' (also at estates[0].areas[8].id)",
        "estates[0].areas[0].building: unknown building '7' in estate 'harbour_view' "
        "(known: 1, 2, 3, 4, 5, 6)",
        "categories[1].department: unknown department 'plumbing' "
        "(known: environment, maintenance, security, service)",
        "categories[2].subcategories[0].urgency: unknown urgency 'asap' "
        "(known: emergency, routine, urgent)",
        "categories[3].subcategories[1].urgency: 'emergency' is not allowed for this category "
        "(allowed: urgent, routine)",
        "categories[9].urgencies[1]: unknown urgency 'whenever' "
        "(known: emergency, routine, urgent)",
        "departments[1].fallback: 黄桂芳 (黄阿姨) (7250983476) must have role supervisor or admin",
        "departments[2].fallback: unknown staff member 42 (add them under staff)",
        "staff[1].estates[0]: unknown estate 'nowhere' (known: emerald_lake, harbour_view)",
        "staff[4].departments[0]: unknown department 'cleanin' "
        "(known: environment, maintenance, security, service)",
        "roster[0].staff[1]: 孙浩 (6392758014) is not in department 'maintenance'",
        "roster[1].estate: unknown estate 'emerald' (known: emerald_lake, harbour_view)",
        "roster[2].staff[0]: 张伟 (6875203341) is not in department 'maintenance'",
        "roster_exceptions[0].staff: unknown staff member 99 (add them under staff)",
        "business_hours.windows: '08:30-12:00' and '11:00-18:00' overlap",
        "departments[0].business_hours[0]: '22:00-06:00' crosses midnight (business hours must "
        "stay within a day; use clock: always for round-the-clock service)",
    ]


def test_duplicate_ids_and_empty_lists(raw: dict[str, Any]) -> None:
    raw["categories"].append(copy.deepcopy(raw["categories"][0]))
    raw["staff"].append(copy.deepcopy(raw["staff"][0]))
    raw["estates"][0]["buildings"][1]["id"] = "1"
    raw["urgencies"] = []
    errors = errors_of(raw)
    assert errors[0] == "urgencies: at least one urgency level is needed"
    assert "categories[15].id: duplicate id 'home_repair' (also at categories[0].id)" in errors
    assert "estates[0].buildings[1].id: duplicate id '1' (also at estates[0].buildings[0].id)" in (
        errors
    )
    assert (
        "staff[11].telegram_id: duplicate telegram_id 5713096628 (also at staff[0].telegram_id)"
        in errors
    )


def test_yaml_syntax_error_names_file_and_line() -> None:
    path = DATA / "bad_syntax.yaml"
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert info.value.errors == [
        f"{path}:7: YAML syntax error: expected <block end>, but found '?'"
    ]


def test_duplicate_yaml_key_is_an_error() -> None:
    path = DATA / "duplicate_key.yaml"
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert info.value.errors == [f"{path}:4: duplicate key 'hotline'"]


def test_yaml_12_booleans(tmp_path: Path, raw: dict[str, Any]) -> None:
    # `off` must stay a key and `NO` (Norway) a string; YAML 1.1 would make both booleans.
    text = SHIPPED.read_text(encoding="utf-8").replace("holiday_country: CN", "holiday_country: NO")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path, env={})
    assert settings.business_hours.holiday_country == "NO"
    assert [e.off for e in settings.roster_exceptions] == [True, False]


def test_missing_empty_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.yaml", env={})
    assert info.value.errors == [f"{tmp_path / 'nope.yaml'}: file not found"]
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(empty, env={})
    assert info.value.errors == ["the configuration is empty"]
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(listing, env={})
    assert info.value.errors == ["(top level): expected a mapping (key: value lines), got list"]


def test_ids_used_in_button_data_are_checked(raw: dict[str, Any]) -> None:
    raw["categories"][0]["id"] = "home repair"
    raw["estates"][0]["areas"][0]["id"] = "x" * 49
    raw["telegram"]["bot_username"] = "@bad-name"
    assert errors_of(raw) == [
        "telegram.bot_username: 'bad-name' is not a Telegram bot username (5-32 of A-Z a-z 0-9 _)",
        "estates[0].areas[0].id: '" + "x" * 49 + "' is longer than 48 characters "
        "(it is used in deep links)",
        "categories[0].id: 'home repair' may only contain A-Z a-z 0-9 _ - and be at most 32 "
        "characters (it is used in button data)",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "localhost:8081/bot",
        "http:///bot",
        "htps://api.telegram.org/bot",
        "ftp://127.0.0.1/bot",
        "http://127.0.0.1:80a/bot",
        "http://[::1/bot",
    ],
)
def test_api_base_url_needs_an_http_scheme_and_a_host(raw: dict[str, Any], url: str) -> None:
    raw["telegram"]["api_base_url"] = url
    assert errors_of(raw) == [
        f"telegram.api_base_url: {url!r} is not an http(s) URL with a host"
        " (e.g. http://127.0.0.1:8081/bot; leave it empty for Telegram's own servers)"
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8081/bot", "https://api.telegram.org/bot"])
def test_api_base_url_accepts_a_local_or_the_real_server(raw: dict[str, Any], url: str) -> None:
    raw["telegram"]["api_base_url"] = url
    assert settings_from_data(raw).telegram.api_base_url == url


def test_settings_are_frozen(shipped: Settings) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        shipped.hotline = "110"  # type: ignore[misc]


def test_keywords_and_safety_texts_are_checked_in_every_language(raw: dict[str, Any]) -> None:
    water = raw["categories"][1]["subcategories"]
    assert water[0]["id"] == "burst_pipe"
    del water[0]["keywords"]["zh-Hant"]  # a language left out
    water[0]["safety"]["en"] = "  "  # an empty safety text
    raw["categories"][4]["keywords"] = {"zh-Hans": "垃圾", "zh-Hant": "垃圾", "en": "", "fr": "x"}
    errors = errors_of(raw)
    assert "categories[1].subcategories[0].keywords.zh-Hant: missing" in errors
    assert "categories[1].subcategories[0].safety.en: empty" in errors
    assert "categories[4].keywords.en: empty" in errors
    assert any(e.startswith("categories[4].keywords.fr: unknown language") for e in errors)
    water[1]["keywords"] = ["no water"]  # not a text per language
    errors = errors_of(raw)
    assert any(e.startswith("categories[1].subcategories[1].keywords:") for e in errors), errors


def test_shipped_keywords_guess_the_subject(shipped: Settings) -> None:
    from bot.core.proposals import guess_subject, suggested_urgency

    assert guess_subject(shipped, "厨房水管漏水了，好急！") == ("water_power", "burst_pipe")
    assert guess_subject(shipped, "廚房漏水呀，好急！") == ("water_power", "burst_pipe")
    assert guess_subject(shipped, "The lift is out of order") == ("lift", "out_of_order")
    assert guess_subject(shipped, "Rubbish by the ramp") == ("cleaning", None)
    assert guess_subject(shipped, "hello there") is None
    assert guess_subject(shipped, "漏水", "home_repair") is None  # only that category's
    assert suggested_urgency(shipped, "water_power", "burst_pipe") == "emergency"
    assert suggested_urgency(shipped, "cleaning", None) == "routine"  # the least urgent

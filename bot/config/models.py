"""The shape of config.yaml as pydantic models; unknown keys are errors so typos surface."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.config.digest import GroupDigest
from bot.config.storage import Storage
from bot.config.telegram import Telegram
from bot.config.web import Web
from bot.core.holidays_cn import supported as holiday_region_known
from bot.durations import Duration, format_duration
from bot.timewindow import WEEKDAYS, WHOLE_DAY, TimeWindow, Weekday

SUPPORTED_LANGUAGES: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")
KINDS: tuple[str, ...] = ("repair", "complaint", "enquiry", "suggestion", "praise")
ROLES: tuple[str, ...] = ("staff", "supervisor", "admin")

LocalText = dict[str, str]
"""One text in several languages: language code → text."""

Kind = Literal["repair", "complaint", "enquiry", "suggestion", "praise"]
Role = Literal["staff", "supervisor", "admin"]
Clock = Literal["always", "business"]

# Ids travel in callback data (64 bytes) and deep links ([A-Za-z0-9_-]{1,64}), so keep them tame.
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_AREA_ID = re.compile(r"[A-Za-z0-9_-]{1,48}")
_TICKET_PREFIX = re.compile(r"[A-Z0-9]{2,5}")
_BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
_COUNTRY = re.compile(r"[A-Z]{2}")


def _check_id(value: str) -> str:
    """Ids end up in button data, so they must be short and plain."""
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{value!r} may only contain A-Z a-z 0-9 _ - and be at most 32 characters "
            "(it is used in button data)"
        )
    return value


def _check_area_id(value: str) -> str:
    """Area ids end up in t.me/<bot>?start=<area-id> links."""
    if not _AREA_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} may only contain A-Z a-z 0-9 _ - (it is used in deep links)"
            if len(value) <= 48
            else f"{value!r} is longer than 48 characters (it is used in deep links)"
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
AreaId = Annotated[str, AfterValidator(_check_area_id)]


class _Model(BaseModel):
    """Base for every config section: strict keys, immutable, numbers accepted as text."""

    # coerce_numbers_to_str: `id: 1` or `phone: 13800138000` in YAML are meant as text.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _blank_to_none(value: Any) -> Any:
    """``${VAR:-}`` expands to "", which for an optional setting means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


class Company(_Model):
    """The property-management company."""

    name: LocalText


class Limits(_Model):
    """Lengths (characters) and counts the intake conversation enforces."""

    description_min: int = Field(5, ge=0)
    description_max: int = Field(2000, ge=1, le=4000)
    photos_max: int = Field(5, ge=0, le=10)
    detail_max: int = Field(200, ge=1, le=1000)
    unit_max: int = Field(20, ge=1, le=100)
    # Abuse limits: new tickets per owner per day, the same complaint again, messages a minute.
    tickets_per_day: int = Field(10, ge=1)
    identical_per_day: int = Field(2, ge=1)
    messages_per_minute: int = Field(30, ge=5)
    # An owner's messages relayed to staff per ticket within relay_window; the rest wait on
    # the ticket, and staff get one "N more messages" notice when the window has room again.
    relays_per_ticket: int = Field(5, ge=1, le=100)
    relay_window: Duration = timedelta(minutes=10)

    @field_validator("relay_window")
    @classmethod
    def _window(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=10) <= value <= timedelta(days=1):
            raise ValueError("must be between 10s and 1d")
        return value

    @model_validator(mode="after")
    def _order(self) -> Limits:
        if self.description_min > self.description_max:
            raise ValueError(
                f"description_min ({self.description_min}) is larger than "
                f"description_max ({self.description_max})"
            )
        return self


class Building(_Model):
    """A building of an estate."""

    id: Id
    name: LocalText


class Area(_Model):
    """A common area; owners reach it directly through a QR code / deep link."""

    id: AreaId
    name: LocalText
    building: str | None = None  # the building's id; None for estate-wide places


class Estate(_Model):
    """A housing estate (小区) with its buildings and common areas."""

    id: Id
    name: LocalText
    buildings: list[Building] = []
    areas: list[Area] = []

    def building(self, building_id: str) -> Building | None:
        """The building with this id, or None."""
        return next((b for b in self.buildings if b.id == building_id), None)

    def area(self, area_id: str) -> Area | None:
        """The common area with this id, or None."""
        return next((a for a in self.areas if a.id == area_id), None)


class Subcategory(_Model):
    """A finer choice inside a category, optionally suggesting an urgency."""

    id: Id
    name: LocalText
    urgency: str | None = None
    # Words that point to it in an owner's description, per language, separated by 、 or ,
    keywords: LocalText | None = None
    # What to do at once, shown the moment it is chosen or guessed (with the hotline).
    safety: LocalText | None = None


class Category(_Model):
    """A kind of problem the owner picks first; decides the department."""

    id: Id
    name: LocalText
    kind: Kind
    department: str
    urgencies: list[str] | None = None  # None: every urgency may be chosen
    accept_within: Duration | None = None  # overrides the urgency's deadline when set
    resolve_within: Duration | None = None
    subcategories: list[Subcategory] = []
    keywords: LocalText | None = None  # words that point to it (see Subcategory.keywords)

    def subcategory(self, subcategory_id: str) -> Subcategory | None:
        """The subcategory with this id, or None."""
        return next((s for s in self.subcategories if s.id == subcategory_id), None)


class Urgency(_Model):
    """An urgency level with its deadlines."""

    id: Id
    name: LocalText
    hint: LocalText
    accept_within: Duration
    resolve_within: Duration
    clock: Clock
    show_hotline: bool = False
    # Tell the owner honestly when a deadline is missed ("sorry, we are late").
    tell_owner_when_late: bool = False

    @field_validator("accept_within", "resolve_within")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


class Department(_Model):
    """A team that handles tickets."""

    id: Id
    name: LocalText
    group_chat_id: int | None = None  # a staff group that sees every ticket of the department
    fallback: int | None = None  # telegram_id of whoever gets tickets when nobody is on duty
    business_hours: list[TimeWindow] | None = None  # None: the company's business_hours.windows


class BusinessHours(_Model):
    """Office hours and the working-day calendar (the "business" clock)."""

    windows: list[TimeWindow] = [TimeWindow.parse("08:30-12:00"), TimeWindow.parse("13:30-18:00")]
    weekdays: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    extra_holidays: list[dt.date] = []
    extra_workdays: list[dt.date] = []
    holiday_country: str | None = "CN"

    _blank = field_validator("holiday_country", mode="before")(_blank_to_none)

    @field_validator("holiday_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and not _COUNTRY.fullmatch(value):
            raise ValueError(f"{value!r} is not a two-letter country code (e.g. CN, HK, TW)")
        if value is not None and not holiday_region_known(value):
            raise ValueError(f"{value!r}: python-holidays has no calendar for this region")
        return value


class StaffMember(_Model):
    """Someone who works tickets."""

    telegram_id: int
    name: str
    role: Role = "staff"
    departments: list[str] = []
    estates: list[str] = []  # empty: every estate
    language: str | None = None
    phone: str | None = None
    # What owners read instead of the internal name ("工程部 王师傅" for "王强 (王师傅)").
    display_name: LocalText | None = None

    def works_in(self, estate_id: str) -> bool:
        """True when this person covers the estate (an empty estates list covers all)."""
        return not self.estates or estate_id in self.estates


class Shift(_Model):
    """A recurring duty shift of a department (optionally one estate only)."""

    department: str
    estate: str | None = None  # None: every estate
    staff: list[int] = Field(min_length=1)
    days: list[Weekday] = list(WEEKDAYS)
    hours: TimeWindow = WHOLE_DAY


class RosterException(_Model):
    """A dated change to the roster: someone off (off: true) or an extra shift (off: false)."""

    date: dt.date
    staff: int
    off: bool = True
    hours: TimeWindow | None = None  # None: the whole day
    department: str | None = None  # for an extra shift; None: the person's departments


class Escalation(_Model):
    """When to nudge and whom to tell when deadlines slip."""

    nudge_at: float = Field(0.75, gt=0, lt=1)  # fraction of the deadline
    manager: int | None = None
    # How long after a missed resolve deadline the manager hears of it (None: never).
    manager_after: Duration | None = None


class Surveys(_Model):
    """The return visit after a ticket is resolved."""

    delay: Duration = timedelta(days=1)
    quiet_hours: TimeWindow | None = None
    remind_after: Duration = timedelta(days=1)
    close_after: Duration = timedelta(days=3)
    # Ask at once when the owner presses "Fixed, thank you" (else wait for ``delay``).
    ask_when_confirmed: bool = True
    # A rating at or below this (2 = dissatisfied) opens a follow-up call for the supervisor.
    followup_at_or_below: int = Field(2, ge=1, le=4)
    followup_within: Duration = timedelta(hours=24)


class Reports(_Model):
    """Statistics pushed to supervisors (daily digest, weekly report) and to owners (monthly)."""

    daily_digest: bool = True
    weekly_report: bool = True
    digest_time: dt.time = dt.time(8, 0)  # local time of day both are sent at
    weekly_day: Weekday = "mon"  # the weekly report covers the seven days before this day
    public_channel_id: int | None = None  # a channel for the monthly summary without names
    hotspot_days: int = Field(30, ge=1, le=366)
    hotspot_min: int = Field(3, ge=2)

    _blank = field_validator("public_channel_id", mode="before")(_blank_to_none)

    @field_validator("digest_time", mode="before")
    @classmethod
    def _time_text(cls, value: Any) -> Any:
        # Unquoted 08:00 is a base-60 number to YAML (480): insist on the quoted form.
        if not isinstance(value, str | dt.time):
            raise ValueError(f'{value!r} is not a time of day; write it in quotes, like "08:00"')
        return value


IncidentSurveys = Literal["per_ticket", "per_subscriber", "none"]


class Incidents(_Model):
    """Known incidents (停水、停电): what follows the all-clear. Other incident settings join
    this section."""

    # per_ticket: each linked ticket is resolved with the all-clear and surveyed as usual;
    # per_subscriber: linked tickets close, and each subscriber rates the handling once
    # (five stars under the all-clear); none: linked tickets close, nobody is surveyed.
    surveys: IncidentSurveys = "per_ticket"
    # The bot proposes an incident to the department's supervisors when this many reports of
    # one subcategory come from one building (or common area) within suggest_window.
    suggest_after: int = Field(default=5, ge=2)
    suggest_window: Duration = timedelta(minutes=30)

    @field_validator("suggest_window")
    @classmethod
    def _window_positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(f"must be longer than zero, not {format_duration(value)}")
        return value


class Settings(_Model):
    """The whole of config.yaml, validated."""

    telegram: Telegram = Telegram()
    storage: Storage = Storage()
    timezone: str = "Asia/Shanghai"
    languages: list[str] = Field(default_factory=lambda: list(SUPPORTED_LANGUAGES), min_length=1)
    default_language: str = "zh-Hans"
    hotline: str = Field(min_length=1)
    ticket_prefix: str
    company: Company
    limits: Limits = Limits()
    estates: list[Estate] = []
    categories: list[Category] = []
    urgencies: list[Urgency] = []
    departments: list[Department] = []
    business_hours: BusinessHours = BusinessHours()
    staff: list[StaffMember] = []
    roster: list[Shift] = []
    roster_exceptions: list[RosterException] = []
    escalation: Escalation = Escalation()
    surveys: Surveys = Surveys()
    reports: Reports = Reports()
    web: Web = Web()
    group_digest: GroupDigest = GroupDigest()
    incidents: Incidents = Incidents()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if lang not in SUPPORTED_LANGUAGES:
                raise ValueError(
                    f"unsupported language {lang!r} (supported: {', '.join(SUPPORTED_LANGUAGES)})"
                )
        return value

    @field_validator("ticket_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _TICKET_PREFIX.fullmatch(value):
            raise ValueError(f"{value!r} must be 2-5 uppercase letters or digits (e.g. HV)")
        return value

    @model_validator(mode="after")
    def _department_hours(self) -> Settings:
        # A department without its own hours keeps the company's, filled in here so readers of
        # Department.business_hours never see None after loading.
        filled = [
            d
            if d.business_hours is not None
            else d.model_copy(update={"business_hours": list(self.business_hours.windows)})
            for d in self.departments
        ]
        object.__setattr__(self, "departments", filled)  # frozen model: set once, at creation
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The configured timezone."""
        return ZoneInfo(self.timezone)

    def text(self, local: Mapping[str, str], lang: str | None = None) -> str:
        """Pick a language from a LocalText: ``lang``, else the default language, else any."""
        for candidate in (lang, self.default_language):
            if candidate is not None and local.get(candidate):
                return local[candidate]
        return next((t for t in local.values() if t), "")

    def category(self, category_id: str) -> Category | None:
        """The category with this id, or None."""
        return next((c for c in self.categories if c.id == category_id), None)

    def urgency(self, urgency_id: str) -> Urgency | None:
        """The urgency level with this id, or None."""
        return next((u for u in self.urgencies if u.id == urgency_id), None)

    def estate(self, estate_id: str) -> Estate | None:
        """The estate with this id, or None."""
        return next((e for e in self.estates if e.id == estate_id), None)

    def area(self, area_id: str) -> tuple[Estate, Area] | None:
        """The (estate, area) for an area id (area ids are unique across estates), or None."""
        for estate in self.estates:
            found = estate.area(area_id)
            if found is not None:
                return estate, found
        return None

    def department(self, department_id: str) -> Department | None:
        """The department with this id, or None."""
        return next((d for d in self.departments if d.id == department_id), None)

    def staff_member(self, telegram_id: int) -> StaffMember | None:
        """The staff member with this Telegram id, or None (most users are owners)."""
        return next((s for s in self.staff if s.telegram_id == telegram_id), None)

    def urgencies_for(self, category_id: str) -> list[Urgency]:
        """The urgency levels an owner may pick for a category, in config order."""
        category = self.category(category_id)
        if category is None:
            return []
        allowed = category.urgencies
        return [u for u in self.urgencies if allowed is None or u.id in allowed]

    def deadlines(self, category_id: str, urgency_id: str) -> tuple[timedelta, timedelta]:
        """(accept_within, resolve_within) for a ticket, the category's overrides winning."""
        urgency = self.urgency(urgency_id)
        if urgency is None:
            raise KeyError(f"unknown urgency {urgency_id!r}")
        category = self.category(category_id)
        accept = urgency.accept_within
        resolve = urgency.resolve_within
        if category is not None:
            accept = category.accept_within or accept
            resolve = category.resolve_within or resolve
        return accept, resolve

    def business_windows(self, department_id: str | None = None) -> list[TimeWindow]:
        """The business-hour windows of a department (the company's when it has none)."""
        department = self.department(department_id) if department_id else None
        if department is not None and department.business_hours is not None:
            return list(department.business_hours)
        return list(self.business_hours.windows)

"""Membership services: levels and points settings (admin), the member's level card and birthday, the daily check-in,
points for a review with photos. The ledger itself is app/membership/ledger.py; the points mall app/membership/mall.py;
the admin's member tools app/membership/admin.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from app.core import changes, clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_, get_locale
from app.core.principal import Actor
from app.membership import ledger, rules
from app.moderation.services import record_audit


@dataclass(frozen=True, slots=True)
class Level:
    id: int
    rank: int
    name_zh: str
    name_en: str
    growth_threshold: int
    extra_discount_pct: int
    free_shipping: bool
    points_multiplier_pct: int
    active: bool

    @property
    def name(self) -> str:
        return self.name_en if get_locale() == "en" and self.name_en else self.name_zh

    @property
    def multiplier_text(self) -> str:
        whole, part = divmod(self.points_multiplier_pct, 100)
        return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


_LEVEL_COLUMNS = (
    "id, rank, name_zh, name_en, growth_threshold, extra_discount_pct, free_shipping, points_multiplier_pct, active"
)


def _level(row: dict) -> Level:  # type: ignore[type-arg]
    return Level(**{k: row[k] for k in Level.__dataclass_fields__})


# Levels and the points settings are read by every checkout and change a few times a year: each process keeps them
# while the change feed is live (app/core/changes.py). Triggers on member_level and points_settings send
# 'membership' at commit, so an admin's edit applies on the next request in every process.
CHANGE_TAG = "membership"
_cached: dict[str, object] = {}


def _on_change(tag: str) -> None:
    if tag in (changes.ALL, CHANGE_TAG):
        _cached.clear()


changes.subscribe(_on_change)


def _keep(key: str, mark: int, value: object) -> None:
    if changes.live() and changes.untouched_since(mark, CHANGE_TAG):
        _cached[key] = value


async def list_levels(*, active_only: bool = False) -> list[Level]:
    key = f"levels:{active_only}"
    if changes.live() and key in _cached:
        return list(_cached[key])  # type: ignore[call-overload]
    mark = changes.sequence()
    where = "WHERE active" if active_only else ""
    rows = await fetch(f"SELECT {_LEVEL_COLUMNS} FROM member_level {where} ORDER BY rank")  # noqa: S608
    levels = [_level(r) for r in rows]
    _keep(key, mark, tuple(levels))
    return levels


def _int_field(form: dict[str, str], name: str, errors: dict[str, str], *, lo: int, hi: int, msg: str) -> int:
    raw = (form.get(name) or "").strip()
    try:
        value = int(raw)
    except ValueError:
        errors[name] = msg
        return 0
    if not lo <= value <= hi:
        errors[name] = msg
    return value


def parse_level(form: dict[str, str]) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "rank": _int_field(form, "rank", errors, lo=1, hi=99, msg=N_("Enter a rank from 1 to 99.")),
        "growth_threshold": _int_field(
            form, "growth_threshold", errors, lo=0, hi=10**9, msg=N_("Enter a growth threshold of 0 or more.")
        ),
        "extra_discount_pct": _int_field(
            form, "extra_discount_pct", errors, lo=0, hi=100, msg=N_("Enter a discount from 0 to 100 percent.")
        ),
        "points_multiplier_pct": _int_field(
            form,
            "points_multiplier_pct",
            errors,
            lo=0,
            hi=1000,
            msg=N_("Enter a points multiplier from 0 to 1000 (100 = 1x)."),
        ),
        "name_zh": (form.get("name_zh") or "").strip(),
        "name_en": (form.get("name_en") or "").strip(),
        "free_shipping": form.get("free_shipping") in ("on", "1", "true"),
        "active": form.get("active") in ("on", "1", "true"),
    }
    for name in ("name_zh", "name_en"):
        text = str(values[name])
        if not text or len(text) > 32:
            errors[name] = N_("Enter a name of 1 to 32 characters.")
    if errors:
        raise ValidationFailed(errors)
    return values


async def save_level(*, actor: Actor, level_id: int | None, form: dict[str, str]) -> int:
    """Create or edit a level. Ranks are unique and a higher rank needs more growth (among all levels)."""
    values = parse_level(form)
    async with engine().transaction():
        await fetch("LOCK TABLE member_level IN SHARE ROW EXCLUSIVE MODE")  # one level change at a time
        levels = await list_levels()
        before = next((lv for lv in levels if lv.id == level_id), None)
        if level_id is not None and before is None:
            raise NotFound(N_("Level not found."))
        others = [lv for lv in levels if lv.id != level_id]
        if any(lv.rank == values["rank"] for lv in others):
            raise ValidationFailed({"rank": N_("Another level has this rank.")})
        pairs = [(lv.rank, lv.growth_threshold) for lv in others] + [
            (int(values["rank"]), int(values["growth_threshold"]))  # type: ignore[call-overload]
        ]
        if not rules.thresholds_increase(pairs):
            raise ValidationFailed(
                {"growth_threshold": N_("A higher rank must need more growth than every lower rank.")}
            )
        cols = list(values)
        if before is None:
            row = await fetchrow(
                f"INSERT INTO member_level ({', '.join(cols)}, updated_at) VALUES ("  # noqa: S608 (fixed column names)
                + ", ".join("{}" for _ in cols)
                + ", now()) RETURNING id",
                *values.values(),
            )
            assert row is not None
            level_id = int(row["id"])
        else:
            await fetch(
                "UPDATE member_level SET "  # noqa: S608 (fixed column names)
                + ", ".join(f"{c} = {{}}" for c in cols)
                + ", updated_at = now() WHERE id = {}",
                *values.values(),
                level_id,
            )
        await record_audit(
            actor=actor,
            action="member_level.create" if before is None else "member_level.update",
            target_type="member_level",
            target_id=level_id,
            before=asdict(before) if before else None,
            after=values,
        )
    return level_id


# -- points settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    points_per_yuan: int = 100
    max_use_pct: int = 20
    earn_per_yuan: int = 1
    checkin_points: int = 5
    review_photo_points: int = 20
    birthday_points: int = 200
    birthday_coupon_template_id: int | None = None
    enabled: bool = True


SETTINGS_FIELDS = tuple(Settings.__dataclass_fields__)


async def get_settings() -> Settings:
    """The one settings row; the defaults until the admin saves the form."""
    if changes.live() and (cached := _cached.get("settings")) is not None:
        return cached  # type: ignore[return-value]
    mark = changes.sequence()
    row = await fetchrow(f"SELECT {', '.join(SETTINGS_FIELDS)} FROM points_settings WHERE key = 'default'")  # noqa: S608
    settings = Settings(**{k: row[k] for k in SETTINGS_FIELDS}) if row else Settings()
    _keep("settings", mark, settings)
    return settings


def parse_settings(form: dict[str, str]) -> Settings:
    errors: dict[str, str] = {}
    count = N_("Enter a whole number of 0 or more.")
    values = {
        "points_per_yuan": _int_field(
            form, "points_per_yuan", errors, lo=1, hi=100_000, msg=N_("Enter how many points make ¥1 (1 or more).")
        ),
        "max_use_pct": _int_field(form, "max_use_pct", errors, lo=0, hi=100, msg=N_("Enter 0 to 100 percent.")),
        "earn_per_yuan": _int_field(form, "earn_per_yuan", errors, lo=0, hi=10_000, msg=count),
        "checkin_points": _int_field(form, "checkin_points", errors, lo=0, hi=1_000_000, msg=count),
        "review_photo_points": _int_field(form, "review_photo_points", errors, lo=0, hi=1_000_000, msg=count),
        "birthday_points": _int_field(form, "birthday_points", errors, lo=0, hi=1_000_000, msg=count),
    }
    template_raw = (form.get("birthday_coupon_template_id") or "").strip()
    template_id: int | None = None
    if template_raw:
        try:
            template_id = int(template_raw)
            if template_id <= 0:
                raise ValueError
        except ValueError:
            errors["birthday_coupon_template_id"] = N_("Enter a coupon template number, or leave it empty.")
    if errors:
        raise ValidationFailed(errors)
    return Settings(**values, birthday_coupon_template_id=template_id, enabled=form.get("enabled") in ("on", "1"))


async def save_settings(*, actor: Actor, form: dict[str, str]) -> Settings:
    settings = parse_settings(form)
    values = asdict(settings)
    async with engine().transaction():
        before = await get_settings()
        cols = ", ".join(SETTINGS_FIELDS)
        await fetch(
            f"INSERT INTO points_settings (key, {cols}, updated_at) VALUES ('default', "  # noqa: S608
            + ", ".join("{}" for _ in SETTINGS_FIELDS)
            + ", now()) ON CONFLICT (key) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in SETTINGS_FIELDS)
            + ", updated_at = now()",
            *(values[c] for c in SETTINGS_FIELDS),
        )
        await record_audit(
            actor=actor,
            action="points_settings.update",
            target_type="points_settings",
            target_id="default",
            before=asdict(before),
            after=values,
        )
    return settings


# -- the member ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberCard:
    growth: int
    level: Level | None
    next_level: Level | None
    growth_needed: int  # to reach next_level
    progress_pct: int  # 0-100 between this level's threshold and the next
    levels: list[Level]
    birthday: date | None


async def profile_row(user_id: int) -> dict | None:  # type: ignore[type-arg]
    return await fetchrow(
        'SELECT growth, birthday, last_birthday_gift_year FROM member_profile WHERE "user" = {}', user_id
    )


async def member_card(user_id: int) -> MemberCard:
    row = await profile_row(user_id)
    growth = int(row["growth"]) if row else 0
    levels = await list_levels(active_only=True)
    level = rules.level_for(levels, growth)
    nxt = rules.next_level(levels, growth)
    progress = 100
    if nxt is not None:
        base = level.growth_threshold if level else 0
        span = max(1, nxt.growth_threshold - base)
        progress = max(0, min(100, (growth - base) * 100 // span))
    return MemberCard(
        growth=growth,
        level=level,
        next_level=nxt,
        growth_needed=(nxt.growth_threshold - growth) if nxt else 0,
        progress_pct=progress,
        levels=levels,
        birthday=row["birthday"] if row else None,
    )


def parse_birthday(raw: str, today: date) -> date:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationFailed({"birthday": N_("Enter a date such as 1990-05-20.")}) from None
    if value > today:
        raise ValidationFailed({"birthday": N_("Your birthday cannot be in the future.")})
    if value.year < today.year - 120:
        raise ValidationFailed({"birthday": N_("Enter a date such as 1990-05-20.")})
    return value


async def set_birthday(*, user_id: int, raw: str) -> date:
    """The member sets their birthday once; afterwards it is locked (the birthday gift depends on it)."""
    today = rules.local_day(clock.now())
    value = parse_birthday(raw, today)
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        row = await fetchrow(
            "UPDATE member_profile SET birthday = {}, last_birthday_gift_year = greatest(last_birthday_gift_year, {}) "
            'WHERE "user" = {} AND birthday IS NULL RETURNING id',
            value,
            rules.first_gift_waits(value, today),
            user_id,
        )
        if row is None:
            raise DomainError(N_("Your birthday is already set and cannot be changed."), field="birthday")
    return value


# -- earning ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckInResult:
    points: int
    already: bool  # had checked in today before this request


async def checked_in_today(user_id: int) -> int | None:
    """Today's check-in points, or None when not checked in yet."""
    row = await fetchrow(
        'SELECT points FROM member_checkin WHERE "user" = {} AND day = {}', user_id, rules.local_day(clock.now())
    )
    return int(row["points"]) if row else None


async def check_in(*, user_id: int) -> CheckInResult:
    """Once per day (Asia/Shanghai): the unique (user, day) row decides; a second or concurrent attempt gets the first
    one's result."""
    settings = await get_settings()
    now = clock.now()
    day = rules.local_day(now)
    points = settings.checkin_points if settings.enabled else 0
    async with engine().transaction():
        row = await fetchrow(
            'INSERT INTO member_checkin ("user", day, points, created_at) VALUES ({}, {}, {}, {}) '
            'ON CONFLICT ("user", day) DO NOTHING RETURNING id',
            user_id,
            day,
            points,
            now,
        )
        if row is None:
            return CheckInResult(points=await checked_in_today(user_id) or 0, already=True)
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=points, reason="checkin", ref=f"{user_id}:{day.isoformat()}")
    return CheckInResult(points=points, already=False)


async def award_review_points(*, user_id: int, review_id: int) -> None:
    """A review with photos earns the configured points, once per review (issue 8 calls it)."""
    settings = await get_settings()
    if not settings.enabled or settings.review_photo_points <= 0:
        return
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=settings.review_photo_points, reason="review", ref=str(review_id))


def level_names(level: Level | None) -> str:
    return level.name if level else ""


def now_local() -> datetime:
    return clock.now().astimezone(rules.TZ)

"""Settings from the environment: the one place the app reads os.environ (documented in README.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept under .data/ so restarts keep sessions valid."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = ROOT / ".data" / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    debug: bool = False
    cookie_secure: bool = False
    db_pool_min: int = 1
    db_pool_max: int = 10
    session_max_age: int = 14 * 24 * 3600
    default_locale: str = "zh_CN"
    display_timezone: str = "Asia/Shanghai"
    # argon2id parameters: changing them makes existing hashes rehash at their next login
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # rate limits: attempts per window
    login_per_ip: int = 30
    login_per_account: int = 5
    register_per_ip: int = 10
    rate_window_seconds: int = 900
    static_root: Path = field(default=ROOT / ".build" / "static")
    run_worker: bool = False  # run the sweeps inside the web process (development)
    page_cache: bool = True  # replay public pages to anonymous visitors from memory (app/web/pagecache.py)
    # uploaded media (product images): a local folder served at /media/, or an S3-compatible bucket
    storage_backend: str = "local"
    media_root: Path = field(default=ROOT / ".data" / "media")
    media_url: str = "/media/"
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    s3_public_url: str = ""
    # orders and payments (issue 6)
    payment_deadline_minutes: int = 30  # unpaid orders hold stock this long, then the worker cancels them
    auto_confirm_days: int = 10  # shipped orders are confirmed as received after this many days
    payment_provider: str = "sandbox"  # the gateway (app/payments/gateway.py); real providers plug in here
    payment_notify_secret: str = ""  # HMAC key for the sandbox's signed notices (default: derived from secret_key)
    public_base_url: str = "http://127.0.0.1:8000"  # where the gateway sends buyers back and notices to
    test_hooks: bool = False  # browser tests only: POST /_test/clock moves the server clock (app/web/testhooks.py)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL", "postgresql://jishi@127.0.0.1:54320/jishi"),
        secret_key=_secret_key(),
        debug=_bool("DEBUG", False),
        cookie_secure=_bool("COOKIE_SECURE", False),
        db_pool_min=_int("DB_POOL_MIN", 1),
        db_pool_max=_int("DB_POOL_MAX", 10),
        session_max_age=_int("SESSION_MAX_AGE", 14 * 24 * 3600),
        default_locale=os.environ.get("DEFAULT_LOCALE", "zh_CN"),
        display_timezone=os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai"),
        argon2_time_cost=_int("ARGON2_TIME_COST", 3),
        argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 65536),
        argon2_parallelism=_int("ARGON2_PARALLELISM", 4),
        login_per_ip=_int("LOGIN_LIMIT_PER_IP", 30),
        login_per_account=_int("LOGIN_LIMIT_PER_ACCOUNT", 5),
        register_per_ip=_int("REGISTER_LIMIT_PER_IP", 10),
        rate_window_seconds=_int("RATE_LIMIT_WINDOW", 900),
        static_root=Path(os.environ.get("STATIC_ROOT", str(ROOT / ".build" / "static"))),
        run_worker=_bool("RUN_WORKER", False),
        page_cache=_bool("PAGE_CACHE", True),
        storage_backend=os.environ.get("STORAGE_BACKEND", "local"),
        media_root=Path(os.environ.get("MEDIA_ROOT", str(ROOT / ".data" / "media"))),
        media_url=os.environ.get("MEDIA_URL", "/media/"),
        s3_endpoint=os.environ.get("S3_ENDPOINT", ""),
        s3_bucket=os.environ.get("S3_BUCKET", ""),
        s3_access_key=os.environ.get("S3_ACCESS_KEY", ""),
        s3_secret_key=os.environ.get("S3_SECRET_KEY", ""),
        s3_region=os.environ.get("S3_REGION", "us-east-1"),
        s3_public_url=os.environ.get("S3_PUBLIC_URL", ""),
        payment_deadline_minutes=_int("PAYMENT_DEADLINE_MINUTES", 30),
        auto_confirm_days=_int("AUTO_CONFIRM_DAYS", 10),
        payment_provider=os.environ.get("PAYMENT_PROVIDER", "sandbox"),
        payment_notify_secret=os.environ.get("PAYMENT_NOTIFY_SECRET", ""),
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        test_hooks=_bool("TEST_HOOKS", False),
    )

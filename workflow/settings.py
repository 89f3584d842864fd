"""Settings, read from ``SERTIFLOW_*`` environment variables by the composition roots only.

The defaults give the embedded setup a newcomer needs: a SQLite file under ``var/``, the worker
in-process, emails written to a folder. Production names PostgreSQL, Redis and an SMTP server,
and must set a real secret key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.model import Deadline
from workflow.policy import Policy
from workflow.processes import DEFAULT_DEFINITIONS

__all__ = ["Settings", "SettingsError"]

_DEV_SECRET = "development-only-secret"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the embedded defaults."""

    environment: str = "development"
    database_url: str = "sqlite:///var/sertiflow.db"
    secret_key: str = _DEV_SECRET
    office_name: str = "PLUT-KUMKM Provinsi Maluku"
    office_address: str = "Jl. Pattimura, Ambon, Maluku"
    office_city: str = "Ambon"
    office_head: str = "Kepala UPTD PLUT-KUMKM Provinsi Maluku"
    office_logo: str = ""  # a PNG, JPEG or SVG file; empty: the shipped logo
    mail_dir: str = "var/mail"
    storage_dir: str = "var/packets"
    public_url: str = "http://localhost:8000"
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (the process environment when None)."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            return env.get(f"SERTIFLOW_{name}", default).strip() or default

        environment = get("ENV", "development")
        if environment not in ("development", "test", "production"):
            raise SettingsError("SERTIFLOW_ENV must be development, test or production")
        secret = get("SECRET_KEY", _DEV_SECRET)
        if environment == "production" and (secret == _DEV_SECRET or len(secret) < 32):
            raise SettingsError(
                "SERTIFLOW_SECRET_KEY must be set to a random value of 32+ characters in "
                "production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        timezone = get("TIMEZONE", "Asia/Jakarta")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"SERTIFLOW_TIMEZONE {timezone!r} is not a time zone; use Asia/Jakarta (WIB), "
                "Asia/Makassar (WITA) or Asia/Jayapura (WIT)"
            ) from None
        policy = Policy(
            self_declare_max_turnover=_int(env, "SELF_DECLARE_MAX_TURNOVER", 500_000_000),
            sni_validity_years=_int(env, "SNI_VALIDITY_YEARS", 4),
            timezone=timezone,
            deadline_overrides=_deadlines(env.get("SERTIFLOW_DEADLINES", "")),
            extra_closed_days=_dates(env.get("SERTIFLOW_CLOSED_DAYS", "")),
        )
        return cls(
            environment=environment,
            database_url=get("DATABASE_URL", cls.database_url),
            secret_key=secret,
            office_name=get("OFFICE_NAME", cls.office_name),
            office_address=get("OFFICE_ADDRESS", cls.office_address),
            office_city=get("OFFICE_CITY", cls.office_city),
            office_head=get("OFFICE_HEAD", cls.office_head),
            office_logo=get("OFFICE_LOGO", cls.office_logo),
            mail_dir=get("MAIL_DIR", cls.mail_dir),
            storage_dir=get("STORAGE_DIR", cls.storage_dir),
            public_url=get("PUBLIC_URL", cls.public_url).rstrip("/"),
            policy=policy,
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number, written 500000000, 500.000.000 (Indonesian thousands) or 500_000_000."""
    raw = env.get(f"SERTIFLOW_{name}", "").strip()
    if not raw:
        return default
    text = raw.replace("_", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    if not text.isdigit():
        raise SettingsError(
            f"SERTIFLOW_{name} must be a whole number (e.g. 500000000 or 500.000.000), got {raw!r}"
        )
    return int(text)


_NAMED: dict[str, set[str]] = {}
for _definition in DEFAULT_DEFINITIONS:
    _NAMED.setdefault(_definition.key, set()).update(_definition.states, _definition.triggers)
"""Every state (its deadline) and trigger (the extension it grants) of every version of each
process: what a deadline override may name."""


def _deadlines(text: str) -> dict[str, Deadline]:
    """``halal_regular.FEE_SET_INVOICED=5hk,trademark.FORMALITY_EXAM=30days``."""
    result = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        if "." not in key or not value:
            raise SettingsError(
                f"SERTIFLOW_DEADLINES item {item!r}: write process.STATE=amount+unit, "
                "e.g. halal_regular.FEE_SET_INVOICED=5hk"
            )
        process, _, state = key.strip().partition(".")
        names = _NAMED.get(process)
        if names is None or state not in names:
            known = ", ".join(sorted(names)) if names else ", ".join(sorted(_NAMED))
            what = f"state or trigger of {process}" if names else "process"
            raise SettingsError(
                f"SERTIFLOW_DEADLINES item {item!r}: no such {what}; known: {known}"
            )
        try:
            result[key.strip()] = Deadline.parse(value, basis="configured")
        except ValueError as error:
            raise SettingsError(f"SERTIFLOW_DEADLINES: {error}") from None
    return result


def _dates(text: str) -> frozenset[date]:
    days = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            days.add(date.fromisoformat(item))
        except ValueError:
            raise SettingsError(
                f"SERTIFLOW_CLOSED_DAYS: {item!r} is not a date; write YYYY-MM-DD,YYYY-MM-DD"
            ) from None
    return frozenset(days)

"""Settings, read from ``SERTIFLOW_*`` environment variables by the composition roots only.

The defaults give the embedded setup a newcomer needs: a SQLite file under ``var/``, the worker
in-process, emails written to a folder. Production names PostgreSQL, Redis and an SMTP server,
and must set a real secret key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.model import ClockRule, Deadline, Phase
from workflow.policy import Fees, Policy
from workflow.processes import DEFAULT_DEFINITIONS

__all__ = ["Delivery", "Settings", "SettingsError"]

_DEV_SECRET = "development-only-secret"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Delivery:
    """How effects are delivered: broker, mail server, retries, reminders and renewals.

    No broker: the embedded worker runs the same tasks in-process. No SMTP host: emails are
    written as ``.eml`` files to ``mail_dir``. Every "due at" time lives in the database; the
    broker only ever carries a row's id.
    """

    broker_url: str = ""  # redis://host:6379/0; empty: the embedded worker
    smtp_host: str = ""  # empty: write .eml files to Settings.mail_dir
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: int = 30
    smtp_ca_file: str = ""  # trust this CA bundle instead of the system's (a private relay)
    mail_from: str = "sertiflow@localhost"
    max_attempts: int = 8  # then the row is failed, visible to admins, and can be retried
    backoff_seconds: int = 30  # first retry; doubles each time, with jitter, up to an hour
    lease_seconds: int = 600  # a claimed row not marked done by then is taken again
    relay_grace_seconds: int = 30  # a new row not picked up by then is dispatched by the relay
    relay_interval_seconds: int = 10
    status_link_days: int = 30  # how long the link in a status email opens the status page
    reminder_working_days: int = 3  # remind this many working days before a deadline
    escalation_working_days: int = 2  # tell the admins when a deadline is this far overdue
    digest_hour: int = 7  # office-local hour of the consultants' daily digest
    sni_surveillance_months: int = 12  # first surveillance audit, then every this many months
    sni_expiry_reminder_months: int = 6  # remind before an SPPT SNI expires
    system_user: str = "sertiflow"  # the account sweeps act as (an admin; no login)


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
    checkpoint_dir: str = "var/checkpoints"  # the daily journal checkpoints; copy them away
    storage_dir: str = "var/packets"
    storage_url: str = ""  # s3://bucket/prefix; empty: the local folder storage_dir
    s3_endpoint_url: str = ""  # an S3-compatible server; empty: AWS
    public_url: str = "http://localhost:8000"
    policy: Policy = field(default_factory=Policy)
    delivery: Delivery = field(default_factory=Delivery)

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
        if environment == "production" and (
            secret == _DEV_SECRET or len(secret) < 32 or len(set(secret)) < 12
        ):  # 12 different characters: "a" * 32 is long, not random
            raise SettingsError(
                "SERTIFLOW_SECRET_KEY must be set to a random value of 32+ characters in "
                "production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        public_url = get("PUBLIC_URL", cls.public_url).rstrip("/")
        if environment == "production":
            _check_public_url(public_url)
        timezone = get("TIMEZONE", Policy.timezone)  # the default office is in Maluku: WIT
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"SERTIFLOW_TIMEZONE {timezone!r} is not a time zone; use Asia/Jakarta (WIB), "
                "Asia/Makassar (WITA) or Asia/Jayapura (WIT)"
            ) from None
        consistency_years = _int(env, "HALAL_CONSISTENCY_CHECK_YEARS", 4)
        if consistency_years < 1:
            raise SettingsError("SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS must be at least 1")
        policy = Policy(
            self_declare_max_turnover=_int(env, "SELF_DECLARE_MAX_TURNOVER", 500_000_000),
            sni_validity_years=_int(env, "SNI_VALIDITY_YEARS", 4),
            halal_consistency_check_years=consistency_years,
            timezone=timezone,
            fees=_fees(env),
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
            checkpoint_dir=get("CHECKPOINT_DIR", cls.checkpoint_dir),
            storage_dir=get("STORAGE_DIR", cls.storage_dir),
            storage_url=_storage_url(get("STORAGE_URL", "")),
            s3_endpoint_url=get("S3_ENDPOINT_URL", ""),
            public_url=public_url,
            policy=policy,
            delivery=_delivery(env, get),
        )


def _check_public_url(url: str) -> None:
    """Refuse, in production, a public address a printed QR code cannot open from outside the
    office: plain http, localhost, a loopback or unspecified address, or no host at all."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        loopback = (
            ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
        )
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if parts.scheme != "https" or not host or loopback:
        raise SettingsError(
            f"SERTIFLOW_PUBLIC_URL {url!r} cannot be opened from outside the office; in "
            "production give the public https address of the web app, e.g. "
            "https://sertiflow.plut.maluku.go.id (the QR code on every document points there)"
        )


def _delivery(env: Mapping[str, str], get: Callable[[str, str], str]) -> Delivery:
    default = Delivery()
    broker = get("BROKER_URL", "")
    if broker and not broker.startswith(("redis://", "rediss://")):
        raise SettingsError(
            f"SERTIFLOW_BROKER_URL {broker!r}: give a Redis URL such as redis://127.0.0.1:6379/0, "
            "or leave it empty for the embedded worker"
        )
    security = get("SMTP_SECURITY", default.smtp_security).lower()
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError("SERTIFLOW_SMTP_SECURITY must be starttls, ssl or none")
    numbers = {
        name: _int(env, name.upper(), getattr(default, name))
        for name in (
            "smtp_port",
            "smtp_timeout",
            "max_attempts",
            "backoff_seconds",
            "lease_seconds",
            "relay_grace_seconds",
            "relay_interval_seconds",
            "status_link_days",
            "reminder_working_days",
            "escalation_working_days",
            "digest_hour",
            "sni_surveillance_months",
            "sni_expiry_reminder_months",
        )
    }
    if numbers["max_attempts"] < 1 or numbers["lease_seconds"] < 10:
        raise SettingsError(
            "SERTIFLOW_MAX_ATTEMPTS must be at least 1 and SERTIFLOW_LEASE_SECONDS at least 10"
        )
    if numbers["digest_hour"] > 23:
        raise SettingsError("SERTIFLOW_DIGEST_HOUR is an hour of the day, 0 to 23")
    if numbers["sni_surveillance_months"] < 1:
        raise SettingsError("SERTIFLOW_SNI_SURVEILLANCE_MONTHS must be at least 1")
    return Delivery(
        broker_url=broker,
        smtp_host=get("SMTP_HOST", ""),
        smtp_security=security,
        smtp_user=get("SMTP_USER", ""),
        smtp_password=env.get("SERTIFLOW_SMTP_PASSWORD", ""),
        smtp_ca_file=get("SMTP_CA_FILE", ""),
        mail_from=get("MAIL_FROM", default.mail_from),
        system_user=get("SYSTEM_USER", default.system_user),
        **numbers,
    )


def _fees(env: Mapping[str, str]) -> Fees:
    """The fees, each from ``SERTIFLOW_FEE_<NAME>`` (a whole Rupiah amount: 500000, 500.000 or
    Rp500.000) or its default; the SNI certification fee stays unknown unless given."""
    values: dict[str, Any] = {}
    for item in fields(Fees):
        variable = f"SERTIFLOW_FEE_{item.name.upper()}"
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        text = re.sub(r"^rp\.?\s*", "", raw, flags=re.IGNORECASE).replace("_", "")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")
        if not (text.isascii() and text.isdigit()):
            raise SettingsError(
                f"{variable} must be a whole Rupiah amount (e.g. 500000, 500.000 or Rp500.000), "
                f"got {raw!r}"
            )
        values[item.name] = int(text)
    return Fees(**values)


def _storage_url(url: str) -> str:
    if url and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[\w./\-]*)?", url):
        raise SettingsError(
            f"SERTIFLOW_STORAGE_URL {url!r}: write s3://bucket or s3://bucket/prefix (a bucket "
            "name of lowercase letters, digits, dots and hyphens), or leave it empty for the "
            "local folder SERTIFLOW_STORAGE_DIR"
        )
    return url.rstrip("/")


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


def _overridable() -> dict[str, dict[str, str | None]]:
    """Per process, every name a deadline override may give, mapped to None where an override
    applies, else to the reason it cannot: states (their deadline), ``STATE.flag`` variants (an
    opposed trademark's examination), and triggers that extend a deadline (the extension they
    grant). A name applies if it does under any version of the process."""
    named: dict[str, dict[str, str | None]] = {}
    for definition in DEFAULT_DEFINITIONS:
        names = named.setdefault(definition.key, {})

        def offer(name: str, reason: str | None, names: dict[str, str | None] = names) -> None:
            if names.get(name, "") is not None:  # applies under one version: it applies
                names[name] = reason

        for state in definition.states.values():
            kept = definition.keeps_clock_of(state.name)
            if state.final:
                offer(state.name, f"{state.name} is a closed state: nothing waits there")
            elif kept:
                offer(
                    state.name,
                    f"{state.name} keeps the running deadline of {', '.join(kept)}; override "
                    f"{', '.join(f'{definition.key}.{name}' for name in kept)} instead",
                )
            elif state.phase is not Phase.PIPELINE and state.deadline is None:
                offer(
                    state.name,
                    f"{state.name} comes after the certificate (phase {state.phase.value}) "
                    "and has no deadline; deadlines count for stages in progress",
                )
            else:
                offer(state.name, None)
            for flag, _variant in state.deadline_if:
                offer(f"{state.name}.{flag}", None)
        if definition.path_deadline is not None:
            offer("PATH", None)  # the whole path's target
        for transition in definition.transitions:
            if transition.clock is ClockRule.EXTEND:
                offer(transition.trigger, None)
            else:
                extending = sorted(
                    f"{definition.key}.{t.trigger}"
                    for t in definition.transitions
                    if t.clock is ClockRule.EXTEND
                )
                offer(
                    transition.trigger,
                    f"{transition.trigger} grants no extension"
                    + (f"; triggers that do: {', '.join(extending)}" if extending else ""),
                )
    return named


def _deadlines(text: str) -> dict[str, Deadline]:
    """``halal_regular.FEE_SET_INVOICED=5hk,trademark.SUBSTANTIVE_EXAM.opposed=120days``.

    A state's override covers its variants (``trademark.SUBSTANTIVE_EXAM=150days`` applies to
    the opposed case too) unless the variant is given as well. An override that cannot apply (a
    closed state, a state that keeps another's clock, a trigger that grants no extension) is
    refused with the reason.
    """
    if not text.strip():
        return {}
    named = _overridable()  # what an override may name, worked out when some are given
    result = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        if "." not in key or not value:
            raise SettingsError(
                f"SERTIFLOW_DEADLINES item {item!r}: write process.STATE=amount+unit, "
                "e.g. halal_regular.FEE_SET_INVOICED=5hk"
            )
        process, _, state = key.strip().partition(".")
        names = named.get(process)
        if names is None or state not in names:
            known = (
                ", ".join(sorted(name for name, reason in names.items() if reason is None))
                if names
                else ", ".join(sorted(named))
            )
            what = f"state or trigger of {process}" if names else "process"
            raise SettingsError(
                f"SERTIFLOW_DEADLINES item {item!r}: no such {what}; known: {known}"
            )
        reason = names[state]
        if reason is not None:
            raise SettingsError(f"SERTIFLOW_DEADLINES item {item!r} cannot apply: {reason}")
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

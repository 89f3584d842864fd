"""Settings read from the environment: what is accepted, and what is refused with a clear error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from workflow import settings as settings_module
from workflow.model import Phase
from workflow.processes import DEFAULT_DEFINITIONS
from workflow.settings import Settings, SettingsError


def test_amounts_take_indonesian_thousands_separators_and_underscores() -> None:
    for written in ("300000000", "300.000.000", "300_000_000"):
        settings = Settings.from_env({"SERTIFLOW_SELF_DECLARE_MAX_TURNOVER": written})
        assert settings.policy.self_declare_max_turnover == 300_000_000


@pytest.mark.parametrize("written", ["1.5", "4,5", "empat", "1.50"])
def test_a_number_that_is_not_whole_is_refused_not_misread(written: str) -> None:
    """``1.5`` once became 15 (the dot taken for a thousands separator)."""
    with pytest.raises(SettingsError, match="SERTIFLOW_SNI_VALIDITY_YEARS must be a whole number"):
        Settings.from_env({"SERTIFLOW_SNI_VALIDITY_YEARS": written})


def test_a_deadline_override_names_a_real_process_and_state() -> None:
    overrides = "trademark.FORMALITY_EXAM=20days,halal_regular.extension_granted=15hk"
    settings = Settings.from_env({"SERTIFLOW_DEADLINES": overrides})
    assert settings.policy.deadline_overrides["trademark.FORMALITY_EXAM"].amount == 20
    assert settings.policy.deadline_overrides["halal_regular.extension_granted"].amount == 15
    with pytest.raises(SettingsError, match=r"no such state or trigger of halal_regular; known: "):
        Settings.from_env({"SERTIFLOW_DEADLINES": "halal_regular.SUBMITED=5hk"})
    with pytest.raises(SettingsError, match="no such process; known: halal_regular"):
        Settings.from_env({"SERTIFLOW_DEADLINES": "halal_reguler.SUBMITTED=5hk"})
    with pytest.raises(SettingsError, match=r"write process\.STATE=amount"):
        Settings.from_env({"SERTIFLOW_DEADLINES": "SUBMITTED=5hk"})


def test_production_refuses_the_development_secret_and_a_bad_time_zone() -> None:
    with pytest.raises(SettingsError, match="SERTIFLOW_SECRET_KEY must be set"):
        Settings.from_env({"SERTIFLOW_ENV": "production"})
    with pytest.raises(SettingsError, match="SERTIFLOW_TIMEZONE 'WIT' is not a time zone"):
        Settings.from_env({"SERTIFLOW_TIMEZONE": "WIT"})


def test_delivery_settings_are_read_and_bad_ones_refused_by_name() -> None:
    settings = Settings.from_env(
        {
            "SERTIFLOW_BROKER_URL": "redis://127.0.0.1:6379/2",
            "SERTIFLOW_SMTP_HOST": "smtp.example.id",
            "SERTIFLOW_SMTP_SECURITY": "SSL",
            "SERTIFLOW_SMTP_PORT": "465",
            "SERTIFLOW_MAX_ATTEMPTS": "5",
            "SERTIFLOW_STORAGE_URL": "s3://sertiflow-packets/maluku/",
        }
    )
    delivery = settings.delivery
    assert (delivery.smtp_security, delivery.smtp_port, delivery.max_attempts) == ("ssl", 465, 5)
    assert settings.storage_url == "s3://sertiflow-packets/maluku"
    refused = {
        "SERTIFLOW_BROKER_URL": ("amqp://x", "give a Redis URL"),
        "SERTIFLOW_SMTP_SECURITY": ("tls", "starttls, ssl or none"),
        "SERTIFLOW_DIGEST_HOUR": ("24", "0 to 23"),
        "SERTIFLOW_MAX_ATTEMPTS": ("0", "at least 1"),
        "SERTIFLOW_LEASE_SECONDS": ("5", "at least 10"),
        "SERTIFLOW_STORAGE_URL": ("s3://Bad_Bucket", "write s3://bucket"),
        "SERTIFLOW_SMTP_PORT": ("smtp", "SERTIFLOW_SMTP_PORT must be a whole number"),
    }
    for name, (value, message) in refused.items():
        with pytest.raises(SettingsError, match=message):
            Settings.from_env({name: value})


def test_production_refuses_a_long_key_that_is_not_random() -> None:
    for weak in ("a" * 32, "ab" * 20, "0123456789" * 4):
        with pytest.raises(SettingsError, match="SERTIFLOW_SECRET_KEY must be set"):
            Settings.from_env({"SERTIFLOW_ENV": "production", "SERTIFLOW_SECRET_KEY": weak})
    strong = "4f1c9a7be2d84035a6c1f09e7b3d2a58c6e0f4b1"
    public = {"SERTIFLOW_PUBLIC_URL": "https://sertiflow.plut.maluku.go.id"}
    assert Settings.from_env(
        {"SERTIFLOW_ENV": "production", "SERTIFLOW_SECRET_KEY": strong, **public}
    )
    assert Settings.from_env({"SERTIFLOW_ENV": "test"}).environment == "test"


# --------------------------------------------------------------------------- every variable

STRINGS = {  # variable -> (Settings or Delivery field, value)
    "DATABASE_URL": ("database_url", "postgresql+psycopg://sertiflow@db/sertiflow"),
    "OFFICE_NAME": ("office_name", "PLUT-KUMKM Provinsi Papua"),
    "OFFICE_ADDRESS": ("office_address", "Jl. Soa Siu, Jayapura"),
    "OFFICE_CITY": ("office_city", "Jayapura"),
    "OFFICE_HEAD": ("office_head", "Kepala UPTD PLUT-KUMKM Provinsi Papua"),
    "OFFICE_LOGO": ("office_logo", "/etc/sertiflow/logo.png"),
    "MAIL_DIR": ("mail_dir", "/srv/mail"),
    "CHECKPOINT_DIR": ("checkpoint_dir", "/srv/checkpoints"),
    "STORAGE_DIR": ("storage_dir", "/srv/packets"),
    "STORAGE_URL": ("storage_url", "s3://plut-papua/packets"),
    "S3_ENDPOINT_URL": ("s3_endpoint_url", "http://127.0.0.1:9000"),
    "PUBLIC_URL": ("public_url", "https://plut.papua.go.id"),
}
DELIVERY_STRINGS = {
    "BROKER_URL": ("broker_url", "rediss://cache.papua.go.id:6380/1"),
    "SMTP_HOST": ("smtp_host", "smtp.papua.go.id"),
    "SMTP_SECURITY": ("smtp_security", "none"),
    "SMTP_USER": ("smtp_user", "plut"),
    "SMTP_CA_FILE": ("smtp_ca_file", "/etc/ssl/relay.pem"),
    "MAIL_FROM": ("mail_from", "plut@papua.go.id"),
    "SYSTEM_USER": ("system_user", "penjadwal"),
}
NUMBERS = {
    "SMTP_PORT": ("smtp_port", 2525),
    "SMTP_TIMEOUT": ("smtp_timeout", 45),
    "MAX_ATTEMPTS": ("max_attempts", 4),
    "BACKOFF_SECONDS": ("backoff_seconds", 60),
    "LEASE_SECONDS": ("lease_seconds", 900),
    "RELAY_GRACE_SECONDS": ("relay_grace_seconds", 20),
    "RELAY_INTERVAL_SECONDS": ("relay_interval_seconds", 5),
    "STATUS_LINK_DAYS": ("status_link_days", 14),
    "REMINDER_WORKING_DAYS": ("reminder_working_days", 5),
    "ESCALATION_WORKING_DAYS": ("escalation_working_days", 1),
    "DIGEST_HOUR": ("digest_hour", 8),
    "SNI_SURVEILLANCE_MONTHS": ("sni_surveillance_months", 6),
    "SNI_EXPIRY_REMINDER_MONTHS": ("sni_expiry_reminder_months", 3),
}


def test_an_empty_or_blank_environment_gives_the_embedded_defaults() -> None:
    assert Settings.from_env({}) == Settings()
    names = [*STRINGS, *DELIVERY_STRINGS, *NUMBERS, "ENV", "SECRET_KEY", "TIMEZONE"]
    names += ["SELF_DECLARE_MAX_TURNOVER", "SNI_VALIDITY_YEARS", "DEADLINES", "CLOSED_DAYS"]
    assert Settings.from_env({f"SERTIFLOW_{name}": "  " for name in names}) == Settings()


def test_every_variable_is_read_into_its_setting_without_surrounding_spaces() -> None:
    env = {f"SERTIFLOW_{name}": f"  {value} " for name, (_, value) in STRINGS.items()}
    env |= {f"SERTIFLOW_{name}": f" {value} " for name, (_, value) in DELIVERY_STRINGS.items()}
    env |= {f"SERTIFLOW_{name}": f" {value} " for name, (_, value) in NUMBERS.items()}
    env |= {
        "SERTIFLOW_ENV": " test ",
        "SERTIFLOW_SECRET_KEY": " 4f1c9a7be2d84035a6c1f09e7b3d2a58 ",
        "SERTIFLOW_TIMEZONE": " Asia/Jayapura ",
        "SERTIFLOW_SMTP_PASSWORD": " kata sandi ",
        "SERTIFLOW_SELF_DECLARE_MAX_TURNOVER": " 300.000.000 ",
        "SERTIFLOW_SNI_VALIDITY_YEARS": " 5 ",
    }
    settings = Settings.from_env(env)
    for name, (setting, value) in STRINGS.items():
        assert getattr(settings, setting) == value, name
    for name, (setting, value) in DELIVERY_STRINGS.items():
        assert getattr(settings.delivery, setting) == value, name
    for name, (setting, number) in NUMBERS.items():
        assert getattr(settings.delivery, setting) == number, name
    assert settings.environment == "test"
    assert settings.secret_key == "4f1c9a7be2d84035a6c1f09e7b3d2a58"
    assert settings.delivery.smtp_password == " kata sandi "  # a password is taken as it is
    policy = settings.policy
    assert (policy.timezone, policy.self_declare_max_turnover) == ("Asia/Jayapura", 300_000_000)
    assert policy.sni_validity_years == 5


def test_the_process_environment_is_read_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERTIFLOW_OFFICE_CITY", "Tual")
    assert Settings.from_env().office_city == "Tual"


def test_a_public_url_loses_its_trailing_slashes() -> None:
    settings = Settings.from_env({"SERTIFLOW_PUBLIC_URL": "https://plut.maluku.go.id//"})
    assert settings.public_url == "https://plut.maluku.go.id"


def test_office_closed_days_are_read_as_dates() -> None:
    settings = Settings.from_env({"SERTIFLOW_CLOSED_DAYS": "2026-12-31, 2027-01-02,"})
    assert settings.policy.extra_closed_days == frozenset({date(2026, 12, 31), date(2027, 1, 2)})
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_CLOSED_DAYS": "2026-12-31,31/12/2026"})
    assert str(refused.value) == (
        "SERTIFLOW_CLOSED_DAYS: '31/12/2026' is not a date; write YYYY-MM-DD,YYYY-MM-DD"
    )


# --------------------------------------------------------------------------- the limits


def test_a_production_key_of_exactly_32_characters_and_12_different_ones_is_enough() -> None:
    just_enough = "0123456789ab" + "a" * 20  # 32 characters, 12 different
    assert (len(just_enough), len(set(just_enough))) == (32, 12)
    production = {
        "SERTIFLOW_ENV": "production",
        "SERTIFLOW_PUBLIC_URL": "https://sertiflow.plut.maluku.go.id",
    }
    assert Settings.from_env({**production, "SERTIFLOW_SECRET_KEY": just_enough})
    for weak in (just_enough[:-1], "0123456789a" + "a" * 21):  # 31 long; 11 different
        with pytest.raises(SettingsError) as refused:
            Settings.from_env({**production, "SERTIFLOW_SECRET_KEY": weak})
        assert str(refused.value) == (
            "SERTIFLOW_SECRET_KEY must be set to a random value of 32+ characters in "
            "production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    assert Settings.from_env({"SERTIFLOW_ENV": "development"}).secret_key == Settings().secret_key


def test_the_smallest_delivery_limits_are_accepted() -> None:
    delivery = Settings.from_env(
        {
            "SERTIFLOW_MAX_ATTEMPTS": "1",
            "SERTIFLOW_LEASE_SECONDS": "10",
            "SERTIFLOW_DIGEST_HOUR": "23",
        }
    ).delivery
    assert (delivery.max_attempts, delivery.lease_seconds, delivery.digest_hour) == (1, 10, 23)
    assert Settings.from_env({"SERTIFLOW_DIGEST_HOUR": "0"}).delivery.digest_hour == 0


# --------------------------------------------------------------------------- refusals, in full


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENV", "staging", "SERTIFLOW_ENV must be development, test or production"),
        (
            "TIMEZONE",
            "WIT",
            "SERTIFLOW_TIMEZONE 'WIT' is not a time zone; use Asia/Jakarta (WIB), "
            "Asia/Makassar (WITA) or Asia/Jayapura (WIT)",
        ),
        (
            "BROKER_URL",
            "amqp://guest@localhost//",
            "SERTIFLOW_BROKER_URL 'amqp://guest@localhost//': give a Redis URL such as "
            "redis://127.0.0.1:6379/0, or leave it empty for the embedded worker",
        ),
        ("SMTP_SECURITY", "tls", "SERTIFLOW_SMTP_SECURITY must be starttls, ssl or none"),
        (
            "MAX_ATTEMPTS",
            "0",
            "SERTIFLOW_MAX_ATTEMPTS must be at least 1 and SERTIFLOW_LEASE_SECONDS at least 10",
        ),
        (
            "LEASE_SECONDS",
            "9",
            "SERTIFLOW_MAX_ATTEMPTS must be at least 1 and SERTIFLOW_LEASE_SECONDS at least 10",
        ),
        ("DIGEST_HOUR", "24", "SERTIFLOW_DIGEST_HOUR is an hour of the day, 0 to 23"),
        (
            "STORAGE_URL",
            "s3://Bad_Bucket",
            "SERTIFLOW_STORAGE_URL 's3://Bad_Bucket': write s3://bucket or s3://bucket/prefix (a "
            "bucket name of lowercase letters, digits, dots and hyphens), or leave it empty for "
            "the local folder SERTIFLOW_STORAGE_DIR",
        ),
        (
            "SMTP_PORT",
            "smtp",
            "SERTIFLOW_SMTP_PORT must be a whole number (e.g. 500000000 or 500.000.000), got "
            "'smtp'",
        ),
        (
            "SELF_DECLARE_MAX_TURNOVER",
            "1234.567",
            "SERTIFLOW_SELF_DECLARE_MAX_TURNOVER must be a whole number (e.g. 500000000 or "
            "500.000.000), got '1234.567'",
        ),
        (
            "DEADLINES",
            "SUBMITTED=5hk",
            "SERTIFLOW_DEADLINES item 'SUBMITTED=5hk': write process.STATE=amount+unit, e.g. "
            "halal_regular.FEE_SET_INVOICED=5hk",
        ),
        (
            "DEADLINES",
            "halal_regular.FEE_SET_INVOICED=",
            "SERTIFLOW_DEADLINES item 'halal_regular.FEE_SET_INVOICED=': write "
            "process.STATE=amount+unit, e.g. halal_regular.FEE_SET_INVOICED=5hk",
        ),
        (
            "DEADLINES",
            "halal_regular.FEE_SET_INVOICED=soon",
            "SERTIFLOW_DEADLINES: cannot read deadline 'soon': write a number and a unit, e.g. "
            "5hk, 30days, 2months (hk = working days)",
        ),
    ],
)
def test_a_bad_setting_is_refused_with_its_whole_message(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({f"SERTIFLOW_{name}": value})
    assert str(refused.value) == message


def test_an_unknown_deadline_name_lists_what_may_be_named() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_DEADLINES": "halal_reguler.SUBMITTED=5hk"})
    assert str(refused.value) == (
        "SERTIFLOW_DEADLINES item 'halal_reguler.SUBMITTED=5hk': no such process; known: "
        "halal_regular, halal_self_declare, sni, trademark"
    )
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_DEADLINES": "sni.NO_SUCH_STATE=5hk"})
    message = str(refused.value)
    assert message.startswith("SERTIFLOW_DEADLINES item 'sni.NO_SUCH_STATE=5hk': no such state")
    assert "or trigger of sni; known: " in message
    known = message.partition("known: ")[2].split(", ")
    assert known == sorted(known) and "APPLICATION_REVIEW" in known


def test_deadline_overrides_are_read_with_spaces_and_empty_items_ignored() -> None:
    text = " trademark.FORMALITY_EXAM = 20days ,, sni.APPLICATION_REVIEW=3hk "
    overrides = Settings.from_env({"SERTIFLOW_DEADLINES": text}).policy.deadline_overrides
    assert sorted(overrides) == ["sni.APPLICATION_REVIEW", "trademark.FORMALITY_EXAM"]
    assert str(overrides["trademark.FORMALITY_EXAM"]) == "20 days"
    assert overrides["sni.APPLICATION_REVIEW"].basis == "configured"


def test_an_item_with_a_second_equals_sign_or_dot_is_refused_for_the_right_reason() -> None:
    with pytest.raises(
        SettingsError, match=r"^SERTIFLOW_DEADLINES: cannot read deadline '5hk=7hk'"
    ):
        Settings.from_env({"SERTIFLOW_DEADLINES": "halal_regular.FEE_SET_INVOICED=5hk=7hk"})
    with pytest.raises(SettingsError, match="no such state or trigger of halal_regular; known: "):
        Settings.from_env({"SERTIFLOW_DEADLINES": "halal_regular.FEE_SET_INVOICED.x=5hk"})


def test_only_trailing_slashes_are_cut_from_addresses() -> None:
    settings = Settings.from_env(
        {
            "SERTIFLOW_PUBLIC_URL": "https://plut.maluku.go.id/SERTIFLOX/",
            "SERTIFLOW_STORAGE_URL": "s3://plut-maluku/ARSIP_X/",
        }
    )
    assert settings.public_url == "https://plut.maluku.go.id/SERTIFLOX"
    assert settings.storage_url == "s3://plut-maluku/ARSIP_X"


def test_a_state_override_covers_its_variant_unless_the_variant_has_its_own() -> None:
    """``trademark.SUBSTANTIVE_EXAM=150days`` once left the opposed case at the law's 90 days."""
    from workflow.dates import state_deadline
    from workflow.processes import TRADEMARK

    exam = TRADEMARK.states["SUBSTANTIVE_EXAM"]
    opposed = frozenset({"opposed"})
    policy = Settings.from_env({"SERTIFLOW_DEADLINES": "trademark.SUBSTANTIVE_EXAM=150days"}).policy
    for flags in (frozenset(), opposed):
        spec = state_deadline(policy, "trademark", exam, flags)
        assert spec is not None and (str(spec), spec.basis) == ("150 days", "configured")
    both = "trademark.SUBSTANTIVE_EXAM=150days,trademark.SUBSTANTIVE_EXAM.opposed=200days"
    policy = Settings.from_env({"SERTIFLOW_DEADLINES": both}).policy
    assert str(state_deadline(policy, "trademark", exam, frozenset())) == "150 days"
    assert str(state_deadline(policy, "trademark", exam, opposed)) == "200 days"
    only_opposed = "trademark.SUBSTANTIVE_EXAM.opposed=120days"
    policy = Settings.from_env({"SERTIFLOW_DEADLINES": only_opposed}).policy
    plain = state_deadline(policy, "trademark", exam, frozenset())
    assert plain is not None and (str(plain), plain.basis) == ("30 days", "law")
    assert str(state_deadline(policy, "trademark", exam, opposed)) == "120 days"
    default = state_deadline(Settings().policy, "trademark", exam, opposed)
    assert default is not None and (str(default), default.basis) == ("90 days", "law")


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("halal_regular.CANCELLED=5hk", "CANCELLED is a closed state: nothing waits there"),
        (
            "halal_regular.LAB_TESTING=5hk",
            "LAB_TESTING keeps the running deadline of LPH_AUDIT; override "
            "halal_regular.LPH_AUDIT instead",
        ),
        (
            "halal_self_declare.PPH_VERVAL=12hk",
            "PPH_VERVAL keeps the running deadline of SUBMITTED; override "
            "halal_self_declare.SUBMITTED instead",
        ),
        (
            "halal_regular.submit=5hk",
            "submit grants no extension; triggers that do: halal_regular.extension_granted",
        ),
        ("trademark.approved=5days", "approved grants no extension"),
        (
            "sni.CERTIFIED=12months",
            "CERTIFIED comes after the certificate (phase certified) and has no deadline; "
            "deadlines count for stages in progress",
        ),
    ],
)
def test_an_override_that_cannot_apply_is_refused_with_the_reason(item: str, reason: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_DEADLINES": item})
    assert str(refused.value) == f"SERTIFLOW_DEADLINES item {item!r} cannot apply: {reason}"


def test_a_variant_a_state_does_not_have_is_refused_and_the_real_one_is_listed() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_DEADLINES": "trademark.SUBSTANTIVE_EXAM.contested=9days"})
    message = str(refused.value)
    assert "no such state or trigger of trademark" in message
    known = message.partition("known: ")[2].split(", ")
    assert "SUBSTANTIVE_EXAM.opposed" in known and "SUBSTANTIVE_EXAM" in known
    assert "CANCELLED" not in known and "approved" not in known
    overrides = Settings.from_env(
        {"SERTIFLOW_DEADLINES": "trademark.SUBSTANTIVE_EXAM.opposed=120days"}
    ).policy.deadline_overrides
    assert str(overrides["trademark.SUBSTANTIVE_EXAM.opposed"]) == "120 days"


def test_the_after_certificate_intervals_are_settings_of_at_least_one() -> None:
    settings = Settings.from_env(
        {
            "SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS": " 2 ",
            "SERTIFLOW_SNI_SURVEILLANCE_MONTHS": "6",
        }
    )
    assert settings.policy.halal_consistency_check_years == 2
    assert settings.delivery.sni_surveillance_months == 6
    assert Settings.from_env({}).policy.halal_consistency_check_years == 4
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS": "0"})
    assert str(refused.value) == "SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS must be at least 1"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_SNI_SURVEILLANCE_MONTHS": "0"})
    assert str(refused.value) == "SERTIFLOW_SNI_SURVEILLANCE_MONTHS must be at least 1"
    with pytest.raises(SettingsError, match="HALAL_CONSISTENCY_CHECK_YEARS must be a whole"):
        Settings.from_env({"SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS": "empat"})
    least = Settings.from_env(  # one is the least, and it is allowed
        {"SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS": "1", "SERTIFLOW_SNI_SURVEILLANCE_MONTHS": "1"}
    )
    assert least.policy.halal_consistency_check_years == 1
    assert least.delivery.sni_surveillance_months == 1


def test_a_certified_stage_with_a_deadline_may_have_it_overridden() -> None:
    """A stage after the certificate is refused only when it has no deadline: a reported
    change (``CHANGE_REPORTED``, 10 working days) has one to override."""
    overrides = Settings.from_env(
        {"SERTIFLOW_DEADLINES": "halal_regular.CHANGE_REPORTED=5hk"}
    ).policy.deadline_overrides
    assert overrides["halal_regular.CHANGE_REPORTED"].amount == 5


def test_a_name_that_applies_under_one_version_of_a_process_may_be_overridden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An override names a stage of the process, whichever version an application follows: a
    stage closed in a later version still has its deadline under the earlier one."""
    old = next(d for d in DEFAULT_DEFINITIONS if d.key == "sni" and d.version == 1)
    name = next(n for n, state in old.states.items() if state.deadline and not state.final)
    closed = replace(old.states[name], phase=Phase.CLOSED, deadline=None)
    later = replace(old, version=9, states={**old.states, name: closed})
    for definitions in ([old, later], [later, old]):  # in either order
        monkeypatch.setattr(settings_module, "DEFAULT_DEFINITIONS", definitions)
        item = f"sni.{name}=7hk"
        assert Settings.from_env({"SERTIFLOW_DEADLINES": item}).policy.deadline_overrides
    monkeypatch.setattr(settings_module, "DEFAULT_DEFINITIONS", [later])
    with pytest.raises(SettingsError, match=f"{name} is a closed state"):
        Settings.from_env({"SERTIFLOW_DEADLINES": f"sni.{name}=7hk"})


def test_the_whole_path_target_is_an_override_of_its_own() -> None:
    overrides = Settings.from_env(
        {"SERTIFLOW_DEADLINES": "halal_self_declare.PATH=15hk"}
    ).policy.deadline_overrides
    assert str(overrides["halal_self_declare.PATH"]) == "15 hk"
    with pytest.raises(SettingsError, match="no such state or trigger of trademark"):
        Settings.from_env({"SERTIFLOW_DEADLINES": "trademark.PATH=15hk"})

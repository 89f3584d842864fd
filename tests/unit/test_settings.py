"""Settings read from the environment: what is accepted, and what is refused with a clear error."""

from __future__ import annotations

import pytest

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
    assert Settings.from_env({"SERTIFLOW_ENV": "production", "SERTIFLOW_SECRET_KEY": strong})
    assert Settings.from_env({"SERTIFLOW_ENV": "test"}).environment == "test"

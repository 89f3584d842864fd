"""The public address printed and QR-coded on every document must open from outside the office."""

from __future__ import annotations

import pytest

from workflow.settings import Settings, SettingsError

STRONG = "4f1c9a7be2d84035a6c1f09e7b3d2a58c6e0f4b1"
PRODUCTION = {"SERTIFLOW_ENV": "production", "SERTIFLOW_SECRET_KEY": STRONG}


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",  # the development default
        "https://localhost",
        "https://LOCALHOST:8443/",
        "https://sertiflow.localhost",
        "https://127.0.0.1",
        "https://127.8.0.1:8000",
        "https://[::1]:8000",
        "https://0.0.0.0",
        "http://sertiflow.plut.maluku.go.id",  # plain http: reachable, but not in production
        "sertiflow.plut.maluku.go.id",  # no scheme at all
        "https://",
    ],
)
def test_production_refuses_a_public_url_that_does_not_work_outside_the_office(url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**PRODUCTION, "SERTIFLOW_PUBLIC_URL": url})
    assert str(refused.value) == (  # one line, saying what to give instead
        f"SERTIFLOW_PUBLIC_URL {url.rstrip('/')!r} cannot be opened from outside the office; "
        "in production give the public https address of the web app, e.g. "
        "https://sertiflow.plut.maluku.go.id (the QR code on every document points there)"
    )


def test_production_without_a_public_url_is_refused_not_left_at_localhost() -> None:
    with pytest.raises(SettingsError, match="SERTIFLOW_PUBLIC_URL 'http://localhost:8000'"):
        Settings.from_env(PRODUCTION)


def test_production_takes_a_public_https_address() -> None:
    for url in ("https://sertiflow.plut.maluku.go.id", "https://203.0.113.7:8443/sertiflow"):
        settings = Settings.from_env({**PRODUCTION, "SERTIFLOW_PUBLIC_URL": url})
        assert settings.public_url == url


def test_development_and_test_keep_the_local_default() -> None:
    assert Settings.from_env({}).public_url == "http://localhost:8000"
    assert Settings.from_env({"SERTIFLOW_ENV": "test"}).public_url == "http://localhost:8000"
    local = {"SERTIFLOW_ENV": "development", "SERTIFLOW_PUBLIC_URL": "http://127.0.0.1:8000"}
    assert Settings.from_env(local).public_url == "http://127.0.0.1:8000"

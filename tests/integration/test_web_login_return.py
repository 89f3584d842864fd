"""After logging in, a consultant is back on the page an email linked to, and never sent to
another site by a crafted link. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Office
from tests.web_support import PASSWORD, WebOffice, csrf_of, seed_web_office, web_client
from web.login_return import safe_next


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    return seed_web_office(office, tmp_path / "packets")


def test_the_page_an_email_links_to_is_where_the_login_returns(web: WebOffice) -> None:
    client = web_client(web.app())
    asked = client.get(f"/aplikasi/{web.halal_app}?lang=en")
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/masuk?lanjut=%2Faplikasi%2F{web.halal_app}%3Flang%3Den"
    form = client.get(asked.headers["location"]).text
    assert f'name="lanjut" value="/aplikasi/{web.halal_app}?lang=en"' in form
    answer = client.post(
        "/masuk",
        data={
            "username": web.office.consultant,
            "password": PASSWORD,
            "csrf_token": csrf_of(form),
            "lanjut": f"/aplikasi/{web.halal_app}?lang=en",
        },
    )
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        f"/aplikasi/{web.halal_app}?lang=en",
    )
    assert client.get("/masuk?lanjut=/antrian").headers["location"] == "/antrian"


@pytest.mark.parametrize(
    "hostile",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/a\r\nSet-Cookie: x=1", ""],
)
def test_a_return_address_off_the_site_returns_to_the_start_page(
    web: WebOffice, hostile: str
) -> None:
    client = web_client(web.app())
    form = client.get("/masuk", params={"lanjut": hostile}).text
    assert 'name="lanjut" value="/"' in form
    answer = client.post(
        "/masuk",
        data={
            "username": web.office.consultant,
            "password": PASSWORD,
            "csrf_token": csrf_of(form),
            "lanjut": hostile,
        },
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/")


def test_only_paths_on_this_site_are_followed() -> None:
    assert safe_next("/aplikasi/12") == "/aplikasi/12"
    for bad in (None, 12, "aplikasi/12", "//x", "/\\x", "/x\x7f", "/" + "a" * 500):
        assert safe_next(bad) == "/"

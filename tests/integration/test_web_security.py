"""The web app's defences, each against real SQLite and PostgreSQL: headers, CSRF, cookies,
sessions, login throttling, status links, packet ownership, verification limits and uploads."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.support import Office
from tests.web_support import (
    OTHER_OWNER,
    PASSWORD,
    WebOffice,
    csrf_of,
    log_in,
    seed_web_office,
    web_client,
)
from web import Limits
from web.security import CSP
from workflow.persistence.schema import User, WebSession

DENIALS = "sertiflow.web.security"


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    return seed_web_office(office, tmp_path / "packets")


def denials(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DENIALS and "denied" in r.message]


def test_every_response_carries_the_security_headers(web: WebOffice) -> None:
    client = web_client(web.app())
    for path in ("/masuk", "/verifikasi", "/static/site.css", "/no-such-page", web.link()):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert "unsafe-inline" not in CSP and "frame-ancestors 'none'" in CSP
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["x-frame-options"] == "DENY", path
    assert client.get(web.link()).headers["cache-control"] == "no-store"
    assert "<script" not in client.get(web.link()).text


def test_a_form_posted_without_its_csrf_token_is_refused_with_403_and_logged(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app())
    token = csrf_of(client.get("/masuk").text)
    credentials = {"username": "ana", "password": PASSWORD}
    assert client.post("/masuk", data=credentials).status_code == 403
    assert client.post("/masuk", data={**credentials, "csrf_token": "0" * 64}).status_code == 403
    stranger = web_client(web.app())  # a token of another browser's cookie is worthless here
    assert stranger.post("/masuk", data={**credentials, "csrf_token": token}).status_code == 403
    pdf = {"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")}
    assert client.post("/verifikasi", files=pdf).status_code == 403
    assert len(denials(caplog)) == 4
    assert all("CSRF" in line for line in denials(caplog))
    assert client.post("/masuk", data={**credentials, "csrf_token": token}).status_code == 303
    home = client.get("/saya")
    assert home.status_code == 200
    assert client.post("/keluar", data={"csrf_token": token}).status_code == 403  # pre-login
    assert client.get("/saya").status_code == 200  # still signed in
    assert client.post("/keluar", data={"csrf_token": csrf_of(home.text)}).status_code == 303


def test_login_sets_a_new_httponly_samesite_session_that_logout_ends(web: WebOffice) -> None:
    client = web_client(web.app())
    client.cookies.set("sertiflow_session", "planted-by-an-attacker")
    token = csrf_of(client.get("/masuk").text)
    response = client.post(
        "/masuk", data={"username": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sertiflow_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Secure" not in session  # development: plain http on loopback
    value = session.split(";")[0].split("=", 1)[1]
    assert value != "planted-by-an-attacker" and len(value) >= 40
    again = web_client(web.app())  # every login gets a token of its own, never a guessable one
    assert log_in(again, "ana") == 303
    assert again.cookies["sertiflow_session"] != value
    with web.office.db.connect() as conn:  # only the token's hash is stored
        assert conn.scalar(select(func.count()).select_from(WebSession)) == 2
        assert value not in set(conn.scalars(select(WebSession.token_hash)))
    page = client.get("/saya")
    assert page.status_code == 200 and "Sagu Ibu Ana" in page.text
    assert client.post("/keluar", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    replay = web_client(web.app())  # the old cookie, kept by a thief, opens nothing now
    replay.cookies.set("sertiflow_session", value)
    assert replay.get("/saya").headers["location"] == "/masuk?lanjut=%2Fsaya"


def test_cookies_are_secure_and_host_bound_in_production(web: WebOffice) -> None:
    app = web.app(environment="production")
    client = web_client(app, base_url="https://testserver")
    page = client.get("/masuk")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("__Host-sertiflow_csrf=") and "Secure" in csrf_cookie
    response = client.post(
        "/masuk", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303
    session = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-sertiflow_s")
    )
    assert "Secure" in session and "HttpOnly" in session and "SameSite=lax" in session


def test_five_failed_logins_make_the_user_wait_even_with_the_right_password(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app())
    for _ in range(5):
        assert log_in(client, "ana", "wrong password") == 401
    assert log_in(client, "ana") == 429
    assert log_in(client, "rina") == 303  # another user from the same address is not held up
    assert sum("failed login for user 'ana'" in line for line in denials(caplog)) == 5
    assert any("login throttled for user 'ana'" in line for line in denials(caplog))
    web.office.clock.advance(minutes=16)
    assert log_in(web_client(web.app()), "ana") == 303  # the window has passed


def test_guesses_sent_all_at_once_are_held_to_the_limit(web: WebOffice) -> None:
    """Each attempt counts against itself before its password is checked, so a burst cannot
    slip past a count taken before any of it was recorded."""
    clients = [web_client(web.app()) for _ in range(12)]
    tokens = [csrf_of(client.get("/masuk").text) for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: TestClient, token: str) -> None:
        start.wait(10)
        form = {"username": "ana", "password": "guess", "csrf_token": token}
        statuses.append(client.post("/masuk", data=form).status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == 12
    assert statuses.count(401) <= 5 and statuses.count(429) >= 7


def test_a_token_that_is_not_ascii_is_refused_not_a_server_error(web: WebOffice) -> None:
    client = web_client(web.app())
    client.get("/masuk")  # the CSRF cookie
    form = {"username": "ana", "password": "x", "csrf_token": "é" * 64}
    assert client.post("/masuk", data=form).status_code == 403


def test_the_login_limit_holds_across_web_workers_sharing_the_database(web: WebOffice) -> None:
    for _ in range(5):  # each failure on another worker process's app
        assert log_in(web_client(web.app()), "ana", "wrong password") == 401
    assert log_in(web_client(web.app()), "ana") == 429


def test_failed_logins_from_one_address_throttle_every_username_from_it(web: WebOffice) -> None:
    limits = Limits(login_failures_per_client=3)
    client = web_client(web.app(limits))
    for name in ("a", "b", "c"):
        assert log_in(client, name, "guess") == 401
    assert log_in(client, "rina") == 429


def test_a_login_needs_an_active_user_with_a_password(web: WebOffice) -> None:
    client = web_client(web.app())
    assert log_in(client, "yosef") == 401  # no password was ever set
    with web.office.db.begin() as conn:
        conn.execute(update(User).where(User.username == "ana").values(active=False))
    assert log_in(client, "ana") == 401


def test_a_forged_status_link_is_refused_with_403_and_an_expired_one_with_410(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app())
    good = web.link()
    umkm, day, signature = good.removeprefix("/status/").split(".")
    for forged in (
        f"/status/2.{day}.{signature}",  # another business under this one's signature
        f"/status/{umkm}.20991231.{signature}",  # a later day
        good[:-3],
        "/status/garbage",
        f"/status/{umkm}.{day}.%C3%A9",  # a signature hmac cannot compare as text
    ):
        page = client.get(forged)
        assert page.status_code == 403, forged
        assert "PLUT" in page.text and "tidak sah" in page.text
    expired = client.get(web.expired_link())
    assert expired.status_code == 410
    assert "kedaluwarsa" in expired.text and "Mintalah tautan baru ke kantor PLUT" in expired.text
    assert "Sagu Ibu Ana" not in expired.text
    assert len(denials(caplog)) == 6
    english = client.get(web.expired_link() + "?lang=en")
    assert "Ask the PLUT office" in english.text


def test_a_status_link_opens_its_own_business_only(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None and web.other_packet is not None
    client = web_client(web.app())
    page = client.get(web.link())
    assert page.status_code == 200
    assert "Sagu Ibu Ana" in page.text and "Kopi Rempah Banda" not in page.text
    assert web.packet.code in page.text and web.other_packet.code not in page.text
    own = client.get(f"{web.link()}/paket/{web.packet.code}")
    assert own.status_code == 200 and own.content.startswith(b"%PDF-")
    assert own.headers["content-type"] == "application/pdf"
    assert own.headers["content-disposition"].startswith("attachment;")
    theirs = client.get(f"{web.link()}/paket/{web.other_packet.code}")
    assert theirs.status_code == 404 and b"%PDF" not in theirs.content
    assert client.get(f"{web.link(2)}/paket/{web.other_packet.code}").status_code == 200


def test_a_signed_in_umkm_cannot_download_another_business_packet(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    web.issue_packets()
    assert web.packet is not None and web.other_packet is not None
    client = web_client(web.app())
    assert log_in(client, OTHER_OWNER) == 303
    page = client.get("/saya")
    assert "Kopi Rempah Banda" in page.text and "Sagu Ibu Ana" not in page.text
    assert client.get(f"/paket/{web.other_packet.code}").status_code == 200
    refused = client.get(f"/paket/{web.packet.code}")
    assert refused.status_code == 404 and b"%PDF" not in refused.content
    assert any(web.packet.code in line for line in denials(caplog))
    consultant = web_client(web.app())  # the assigned consultant may, as the engine says
    assert log_in(consultant, "rina") == 303
    assert consultant.get(f"/paket/{web.packet.code}").status_code == 200
    anonymous = web_client(web.app())
    assert (
        anonymous.get(f"/paket/{web.packet.code}").headers["location"]
        == f"/masuk?lanjut=%2Fpaket%2F{web.packet.code}"
    )


def test_verification_lookups_are_limited_per_address(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app(Limits(lookups_per_client=3)))
    for _ in range(3):
        assert client.get("/verifikasi/SF-AAAA-BBBB").status_code == 404
    refused = client.get("/verifikasi/SF-AAAA-BBBB")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert any("verification lookups throttled" in line for line in denials(caplog))
    web.office.clock.advance(minutes=11)
    assert client.get("/verifikasi/SF-AAAA-BBBB").status_code == 404


def test_an_upload_must_be_a_small_pdf_and_is_never_stored(
    web: WebOffice, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app(Limits(upload_bytes=64 * 1024)))
    token = csrf_of(client.get("/verifikasi").text)

    def upload(name: str, data: bytes, kind: str) -> int:
        files = {"file": (name, data, kind)}
        response = client.post("/verifikasi", files=files, data={"csrf_token": token})
        return int(response.status_code)

    html = b"<html><script>alert(1)</script></html>"
    assert upload("a.pdf", html, "application/pdf") == 415  # says PDF, is not one
    assert upload("a.html", b"%PDF-1.7 " + html, "text/html") == 415
    assert upload("big.pdf", b"%PDF-1.7\n" + b"0" * (65 * 1024), "application/pdf") == 413
    assert upload("empty.pdf", b"", "application/pdf") == 400
    response = client.post(
        "/verifikasi",
        files={"file": ("a.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        data={"csrf_token": token},
    )
    assert response.status_code == 200 and "Tidak diterbitkan oleh kantor ini" in response.text
    assert "<script>alert" not in response.text
    assert sum("not a PDF" in line for line in denials(caplog)) == 2
    assert any("over the limit" in line for line in denials(caplog))
    stored = Path(web.settings.storage_dir)
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def test_a_session_ends_when_idle_too_long_or_when_its_user_is_deactivated(
    web: WebOffice,
) -> None:
    client = web_client(web.app())
    assert log_in(client, "ana") == 303
    web.office.clock.advance(minutes=119)
    assert client.get("/saya").status_code == 200  # in use: the idle clock starts again
    web.office.clock.advance(minutes=121)
    assert client.get("/saya").headers["location"] == "/masuk?lanjut=%2Fsaya"
    assert log_in(client, "ana") == 303
    with web.office.db.begin() as conn:
        conn.execute(update(User).where(User.username == "ana").values(active=False))
    assert client.get("/saya").headers["location"] == "/masuk?lanjut=%2Fsaya"


def test_a_session_ends_after_twelve_hours_however_active(web: WebOffice) -> None:
    client = web_client(web.app())
    assert log_in(client, "ana") == 303
    for _ in range(11):
        web.office.clock.advance(hours=1)
        assert client.get("/saya").status_code == 200
    web.office.clock.advance(hours=1)
    assert client.get("/saya").headers["location"] == "/masuk?lanjut=%2Fsaya"


def test_status_tokens_are_kept_out_of_the_access_log(web: WebOffice) -> None:
    from web.security import RedactStatusTokens

    web.app()  # installs the filter on uvicorn's access logger
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactStatusTokens) for f in access.filters)
    path = web.link()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path + "/paket/SF-AAAA-BBBB", "1.1", 200),
        None,
    )
    assert access.filter(record)
    line = record.getMessage()
    signature = path.rsplit(".", 1)[1]
    assert signature not in line and "/status/1." in line and "/paket/SF-AAAA-BBBB" in line


def test_the_language_switch_never_links_to_another_site(web: WebOffice) -> None:
    page = web_client(web.app()).get("http://testserver//evil.example/x")
    assert page.status_code == 404
    assert 'href="//' not in page.text and 'href="/evil.example/x?lang=en"' in page.text

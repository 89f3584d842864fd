"""The JSON API (``/api/v1``) against real SQLite and PostgreSQL: bearer tokens (issued, looked
up, revoked, refused), every status code a route answers (200, 401, 403, 404, 409, 422, 429),
the owner and assignment rules, packets and verification, its own OpenAPI document, and the
``sertiflow user token`` / ``revoke-token`` commands."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from tests.support import Office, app_row
from tests.web_support import OTHER_OWNER, WebOffice, log_in, seed_web_office, web_client
from web import Limits
from workflow.api_tokens import issue_token, revoke_tokens, token_hash, token_user, tokens_of
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.journal import JOURNAL
from workflow.persistence.database import reading
from workflow.persistence.schema import ApiToken, User
from workflow.verification import verify_audit

DENIALS = "sertiflow.web.security"
HALAL_DOCUMENTS = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "sjph_manual",
    "penyelia_halal",
)


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    return seed_web_office(office, tmp_path / "packets")


def token_of(web: WebOffice, username: str) -> str:
    return issue_token(
        web.office.db, username, acting=web.office.admin, now=web.office.clock()
    ).token


class Api:
    """A client of the API as one user (None: no token)."""

    def __init__(self, web: WebOffice, username: str | None, client: TestClient | None = None):
        self.client = client or web_client(web.app())
        self.headers = (
            {} if username is None else {"Authorization": f"Bearer {token_of(web, username)}"}
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + path, params=params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post("/api/v1" + path, json=body, headers=self.headers)


def denials(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DENIALS and "denied" in r.message]


# --------------------------------------------------------------------------- tokens


def test_a_token_is_shown_once_and_only_its_hash_is_stored(web: WebOffice) -> None:
    db = web.office.db
    issued = issue_token(db, "rina", label="laptop", acting="admin", now=web.office.clock())
    assert issued.token.startswith("sf_") and len(issued.token) > 40
    with db.connect() as conn:
        stored = conn.execute(select(ApiToken.token_hash, ApiToken.label)).all()
        journalled = [json.dumps(r.data) for r in conn.execute(select(JOURNAL))]
    assert [tuple(r) for r in stored] == [(token_hash(issued.token), "laptop")]
    assert issued.token_id == token_hash(issued.token)[:12]
    assert not any(issued.token in entry for entry in journalled)
    assert any(issued.token_id in entry for entry in journalled)
    found = token_user(db, issued.token, web.office.clock())
    assert found is not None and found.username == "rina"
    assert tokens_of(db, "rina")[0].last_used_at == web.office.clock()


def test_only_an_admin_issues_tokens_and_only_for_an_active_user(web: WebOffice) -> None:
    db, now = web.office.db, web.office.clock()
    with pytest.raises(NotPermitted, match="only admins may issue API tokens"):
        issue_token(db, "rina", acting="rina", now=now)
    with pytest.raises(NotFound, match="no user 'nobody'"):
        issue_token(db, "nobody", acting="admin", now=now)
    with pytest.raises(InvalidInput, match="longer than 100"):
        issue_token(db, "rina", label="x" * 101, acting="admin", now=now)
    with pytest.raises(InvalidInput, match="control characters"):
        issue_token(db, "rina", label="a\x00b", acting="admin", now=now)
    with db.begin() as conn:
        conn.execute(update(User).where(User.username == "rina").values(active=False))
    with pytest.raises(InvalidInput, match="deactivated"):
        issue_token(db, "rina", acting="admin", now=now)


def test_a_revoked_token_and_a_deactivated_users_token_open_nothing(web: WebOffice) -> None:
    db, now = web.office.db, web.office.clock()
    first = issue_token(db, "rina", acting="admin", now=now)
    second = issue_token(db, "rina", acting="admin", now=now)
    assert revoke_tokens(db, "rina", token_id=first.token_id, acting="rina", now=now) == [
        first.token_id
    ]
    assert token_user(db, first.token, now) is None
    assert token_user(db, second.token, now) is not None
    with pytest.raises(NotFound, match="no live token"):
        revoke_tokens(db, "rina", token_id=first.token_id, acting="admin", now=now)
    with pytest.raises(NotPermitted, match="revoke another user's API tokens"):
        revoke_tokens(db, "rina", token_id=None, acting="ana", now=now)
    with pytest.raises(InvalidInput, match="not a token id"):
        revoke_tokens(db, "rina", token_id="zz%", acting="admin", now=now)
    with db.begin() as conn:
        conn.execute(update(User).where(User.username == "rina").values(active=False))
    assert token_user(db, second.token, now) is None
    for bad in (None, "", "sf_" + "x" * 43, "not-ours", second.token + "x"):
        assert token_user(db, bad, now) is None


def test_a_token_row_added_edited_or_unrevoked_outside_sertiflow_fails_audit_verify(
    web: WebOffice,
) -> None:
    db, now = web.office.db, web.office.clock()
    first = issue_token(db, "rina", acting="admin", now=now)
    revoke_tokens(db, "rina", token_id=first.token_id, acting="rina", now=now)
    issue_token(db, "ana", acting="admin", now=now)
    assert token_problems(web) == []
    with db.begin() as conn:
        conn.execute(update(ApiToken).values(revoked_at=None))  # rina's token lives again
        admin_id = conn.scalar(select(User.id).where(User.username == "admin"))
        conn.execute(
            insert(ApiToken).values(
                token_hash=token_hash("sf_forged"), user_id=admin_id, label="", created_at=now
            )
        )
    rina, admin = (user_id(web, name) for name in ("rina", "admin"))
    assert token_problems(web) == [
        f"api_token:{admin}: not in the office journal: inserted outside sertiflow",
        f"api_token:{rina}: differs from what the journal recorded: edited outside sertiflow",
    ]


def user_id(web: WebOffice, username: str) -> int:
    with web.office.db.connect() as conn:
        found = conn.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return int(found)


def token_problems(web: WebOffice) -> list[str]:
    with reading(web.office.db).connect() as conn:
        report = verify_audit(conn, web.office.workflow.registry)
    return sorted(f"{p.subject}: {p.problem}" for p in report.journal_problems)


# --------------------------------------------------------------------------- 401


def test_a_missing_or_bad_token_gets_401_with_a_bearer_challenge(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = web_client(web.app())
    revoked = issue_token(web.office.db, "rina", acting="admin", now=web.office.clock())
    revoke_tokens(web.office.db, "rina", token_id=None, acting="admin", now=web.office.clock())
    for headers in (
        {},
        {"Authorization": "Bearer sf_wrong"},
        {"Authorization": "Basic cmluYTpzZWNyZXQ="},
        {"Authorization": f"Bearer {revoked.token}"},
    ):
        response = client.get("/api/v1/applications", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"].startswith("a valid bearer token is needed")
        assert "Sagu" not in response.text
    assert len(denials(caplog)) == 4


def test_the_api_ignores_the_session_cookie_so_needs_no_csrf_token(web: WebOffice) -> None:
    client = web_client(web.app())
    assert log_in(client, "rina") == 303
    assert client.get("/api/v1/applications").status_code == 401
    body = {"trigger": "cancel", "expected_version": 2}
    assert (
        client.post(f"/api/v1/applications/{web.halal_app}/transitions", json=body).status_code
        == 401
    )
    api = Api(web, "rina", client)  # a bearer token works without any CSRF token
    assert api.post(f"/applications/{web.halal_app}/transitions", body).status_code == 200


# --------------------------------------------------------------------------- lists


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_each_role_lists_exactly_the_applications_the_pages_show_it(web: WebOffice) -> None:
    everything = sorted([web.halal_app, web.trademark_app, web.other_app])
    assert sorted(ids(Api(web, "admin").get("/applications"))) == everything
    assert sorted(ids(Api(web, "rina").get("/applications"))) == everything
    assert ids(Api(web, "yosef").get("/applications")) == []
    assert sorted(ids(Api(web, "ana").get("/applications"))) == [web.halal_app, web.trademark_app]
    assert ids(Api(web, OTHER_OWNER).get("/applications")) == [web.other_app]


def test_the_list_filters_by_process_state_regency_and_overdue_in_pages(web: WebOffice) -> None:
    api = Api(web, "admin")
    assert sorted(ids(api.get("/applications", process="trademark"))) == [
        web.trademark_app,
        web.other_app,
    ]
    assert len(ids(api.get("/applications", state="doc_preparation"))) == 3
    assert ids(api.get("/applications", state="SUBMITTED")) == []
    assert ids(api.get("/applications", overdue="true")) == []
    first = api.get("/applications", per_page=2)
    assert len(ids(first)) == 2 and first.json()["has_next"] is True
    second = api.get("/applications", per_page=2, page=2)
    assert len(ids(second)) == 1 and second.json()["has_next"] is False
    regency = first.json()["items"][0]["regency"]
    assert ids(api.get("/applications", regency=regency))
    web.office.clock.advance(days=20)  # past every 10-working-day preparation deadline
    assert len(ids(api.get("/applications", overdue="true"))) == 3
    english = api.get("/applications", lang="en").json()["items"][0]
    assert english["state_label"] == "Document preparation"


def test_a_bad_filter_gets_422_with_its_reasons(web: WebOffice) -> None:
    api = Api(web, "admin")
    for params in ({"process": "nope"}, {"regency": "Atlantis"}, {"page": "0"}, {"state": "a;b"}):
        response = api.get("/applications", **params)
        assert response.status_code == 422, params
        assert response.json()["reasons"], params


# --------------------------------------------------------------------------- one application


def test_an_application_shows_its_state_deadline_timeline_and_triggers(web: WebOffice) -> None:
    body = Api(web, "rina").get(f"/applications/{web.halal_app}").json()
    assert body["state"] == "DOC_PREPARATION" and body["version"] == 2
    assert body["deadline"]["due"] == "2026-11-16" and body["deadline"]["working_days_left"] == 10
    assert [s["trigger"] for s in body["timeline"]] == ["@open", "start_document_preparation"]
    submit = next(t for t in body["triggers"] if t["trigger"] == "submit")
    assert submit["permitted"] is True
    assert "missing nib (NIB (Nomor Induk Berusaha) berbasis risiko)" in submit["blocked_by"]
    owner = Api(web, "ana").get(f"/applications/{web.halal_app}").json()
    assert next(t for t in owner["triggers"] if t["trigger"] == "submit")["permitted"] is False


def test_an_unknown_or_unseeable_application_is_404_alike_and_logged(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    missing = Api(web, "admin").get("/applications/999")
    assert missing.status_code == 404 and missing.json() == {"detail": "no application #999"}
    for username in (OTHER_OWNER, "yosef"):
        hidden = Api(web, username).get(f"/applications/{web.halal_app}")
        assert hidden.status_code == 404
        assert hidden.json() == {"detail": f"no application #{web.halal_app}"}
    logged = denials(caplog)
    for username in (OTHER_OWNER, "yosef"):
        assert sum(f"for {username} " in d and "may not open" in d for d in logged) == 1
    assert Api(web, "admin").get("/applications/0").status_code == 422
    assert Api(web, "admin").get("/applications/99999999999").status_code == 422


# --------------------------------------------------------------------------- transitions


def fire(api: Api, app_id: int, **body: Any) -> Any:
    return api.post(f"/applications/{app_id}/transitions", body)


def test_a_transition_answers_200_with_the_new_state(web: WebOffice) -> None:
    web.office.give_evidence(web.office.nib, HALAL_DOCUMENTS, app=web.halal_app)
    response = fire(
        Api(web, "rina"), web.halal_app, trigger="submit", expected_version=2, note="ok"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "SUBMITTED" and body["from_state"] == "DOC_PREPARATION"
    assert body["version"] == 3 and body["application_id"] == web.halal_app
    assert app_row(web.office, web.halal_app)["state"] == "SUBMITTED"


def test_a_stale_version_gets_409_with_the_current_version_and_state(web: WebOffice) -> None:
    response = fire(Api(web, "rina"), web.halal_app, trigger="cancel", expected_version=1)
    assert response.status_code == 409
    body = response.json()
    assert body["version"] == 2 and body["state"] == "DOC_PREPARATION"
    assert "changed since you read it" in body["detail"]
    assert app_row(web.office, web.halal_app)["state"] == "DOC_PREPARATION"


def test_a_trigger_the_state_does_not_allow_gets_409(web: WebOffice) -> None:
    response = fire(Api(web, "rina"), web.halal_app, trigger="issue", expected_version=2)
    assert response.status_code == 409 and response.json()["state"] == "DOC_PREPARATION"


def test_a_role_not_allowed_gets_403_and_is_logged(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    web.office.give_evidence(web.office.nib, HALAL_DOCUMENTS, app=web.halal_app)
    response = fire(Api(web, "ana"), web.halal_app, trigger="submit", expected_version=2)
    assert response.status_code == 403
    assert "submit may be done by: admin, consultant" in response.json()["detail"]
    assert any("ana" in d and "submit may be done by" in d for d in denials(caplog))
    assert app_row(web.office, web.halal_app)["state"] == "DOC_PREPARATION"


def test_another_owners_or_unassigned_application_is_404_not_403(web: WebOffice) -> None:
    for username in (OTHER_OWNER, "yosef"):
        response = fire(Api(web, username), web.halal_app, trigger="cancel", expected_version=2)
        assert response.status_code == 404, username
        assert "Sagu" not in response.text
    assert fire(Api(web, "rina"), 999, trigger="cancel", expected_version=0).status_code == 404
    assert app_row(web.office, web.halal_app)["state"] == "DOC_PREPARATION"


def test_a_failing_guard_gets_422_with_its_reasons(web: WebOffice) -> None:
    response = fire(Api(web, "rina"), web.halal_app, trigger="submit", expected_version=2)
    assert response.status_code == 422
    reasons = response.json()["reasons"]
    assert "missing nib (NIB (Nomor Induk Berusaha) berbasis risiko)" in reasons
    assert len(reasons) == 6


def test_bad_bodies_get_422_and_change_nothing(web: WebOffice) -> None:
    api = Api(web, "rina")
    path = f"/applications/{web.halal_app}/transitions"
    for body in (
        {"trigger": "cancel"},
        {"trigger": "", "expected_version": 2},
        {"trigger": "cancel", "expected_version": -1},
        {"trigger": "cancel", "expected_version": 2, "extra": 1},
        {"trigger": "cancel", "expected_version": 2, "note": "x" * 2001},
        {"trigger": "cancel", "expected_version": 2, "note": "nul \x00 byte"},
        [1, 2],
    ):
        response = api.post(path, body)
        assert response.status_code == 422, body
        assert response.json()["reasons"], body
    surrogate = b'{"trigger": "cancel", "expected_version": 2, "fields": {"a": "\\ud800"}}'
    for content in (b"{not json", surrogate):
        broken = api.client.post(
            "/api/v1" + path,
            content=content,
            headers={**api.headers, "content-type": "application/json"},
        )
        assert broken.status_code == 422, content
    assert app_row(web.office, web.halal_app)["version"] == 2


# --------------------------------------------------------------------------- backlog


def test_the_backlog_figures_are_for_admins_only(web: WebOffice) -> None:
    figures = Api(web, "admin").get("/backlog")
    assert figures.status_code == 200
    assert figures.json()["open"] == 3
    assert Api(web, "admin").get("/backlog", process="trademark").json()["open"] == 2
    assert Api(web, "admin").get("/backlog", process="nope").status_code == 422
    for username in ("rina", "ana"):
        refused = Api(web, username).get("/backlog")
        assert refused.status_code == 403 and "only admins" in refused.json()["detail"]


# --------------------------------------------------------------------------- packets


def test_a_packet_is_downloaded_by_whoever_may_open_its_application(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None and web.other_packet is not None
    code = web.packet.code
    detail = Api(web, "ana").get(f"/applications/{web.trademark_app}").json()
    assert detail["packets"][0]["url"] == f"/api/v1/packets/{code}"
    for username in ("ana", "rina", "admin"):
        pdf = Api(web, username).get(f"/packets/{code}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-"), username
        assert pdf.headers["content-type"] == "application/pdf"
    for username in (OTHER_OWNER, "yosef"):
        refused = Api(web, username).get(f"/packets/{code}")
        assert refused.status_code == 404 and refused.json() == {"detail": f"no packet {code}"}
    assert Api(web, "admin").get("/packets/SF-AAAA-AAAA").status_code == 404
    assert Api(web, "admin").get("/packets/junk").status_code == 404
    assert Api(web, None).get(f"/packets/{code}").status_code == 401


# --------------------------------------------------------------------------- verification


def test_verification_is_public_and_says_what_the_signed_record_says(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None
    found = Api(web, None).get(f"/verifications/{web.packet.code.lower()}")
    assert found.status_code == 200
    body = found.json()
    assert body["status"] == "issued" and body["application_id"] == web.trademark_app
    assert body["code"] == web.packet.code
    unknown = Api(web, None).get("/verifications/SF-AAAA-AAAA")
    assert unknown.status_code == 404 and unknown.json()["status"] == "unknown"


def test_verification_lookups_are_throttled_per_address(web: WebOffice) -> None:
    client = web_client(web.app(limits=Limits(lookups_per_client=2)))
    for _ in range(2):
        assert client.get("/api/v1/verifications/SF-AAAA-AAAA").status_code == 404
    throttled = client.get("/api/v1/verifications/SF-AAAA-AAAA")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0


# --------------------------------------------------------------------------- the document


def test_the_openapi_document_describes_the_api_only_with_a_model_for_every_answer(
    web: WebOffice,
) -> None:
    client = web_client(web.app())
    document = client.get("/api/v1/openapi.json").json()
    assert set(document["paths"]) == {
        "/applications",
        "/applications/{app_id}",
        "/applications/{app_id}/transitions",
        "/backlog",
        "/packets/{code}",
        "/verifications/{code}",
    }
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                content: dict[str, Any] = answer.get("content", {})
                first: dict[str, Any] = next(iter(content.values()), {})
                schema = first.get("schema")
                assert schema, (method, path, status)
                if status != "200" or path != "/packets/{code}":
                    assert "$ref" in json.dumps(schema), (method, path, status)
    assert client.get("/openapi.json").status_code == 404  # the pages have none
    assert client.get("/docs").status_code == 404


# --------------------------------------------------------------------------- the CLI


def test_the_cli_issues_lists_and_revokes_tokens(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'office.db'}",
        "SERTIFLOW_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }

    def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "sertiflow", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert (done.returncode == 0) is ok, (done.stdout, done.stderr)
        return done

    cli("init")
    cli("user", "add", "admin", "--name", "Admin", "--role", "admin", "--as", "sertiflow")
    cli(
        "user",
        "add",
        "rina",
        "--name",
        "Rina",
        "--role",
        "consultant",
        "--field",
        "produksi",
        "--as",
        "admin",
    )
    issued = json.loads(
        cli("--json", "user", "token", "rina", "--label", "ci", "--as", "admin").stdout
    )
    assert issued["token"].startswith("sf_") and issued["label"] == "ci"
    plain = cli("user", "token", "rina", "--as", "admin").stdout
    assert "shown once" in plain and plain.strip().splitlines()[-1].startswith("sf_")
    refused = cli("user", "token", "admin", "--as", "rina", ok=False)
    assert "only admins may issue API tokens" in refused.stderr
    listed = json.loads(cli("--json", "user", "tokens", "rina").stdout)
    assert len(listed) == 2 and all("token" not in t for t in listed)
    assert issued["token"] not in cli("user", "tokens", "rina").stdout
    cli("user", "revoke-token", "rina", "--as", "admin", ok=False)  # neither --id nor --all
    done = json.loads(
        cli(
            "--json", "user", "revoke-token", "rina", "--id", issued["token_id"], "--as", "rina"
        ).stdout
    )
    assert done["revoked"] == [issued["token_id"]]
    rest = cli("user", "revoke-token", "rina", "--all", "--as", "admin").stdout
    assert "revoked 1 API token(s)" in rest
    assert "audit log intact" in cli("audit", "verify").stdout  # token entries journalled

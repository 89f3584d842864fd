"""The JSON API fuzzed from its own OpenAPI document (schemathesis), in-process against the ASGI
app on SQLite and PostgreSQL, as an admin with a valid bearer token: valid and invalid requests
to every operation; no answer is a server error, and every answer is one the document declares
(status code, content type, headers, body schema). A bounded number of examples per operation
keeps each run under a minute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import Office
from tests.web_support import seed_web_office
from web import Limits
from workflow.api_tokens import issue_token

EXAMPLES = 20
"""Examples per operation and generation mode (6 operations, valid and invalid data)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_openapi_document_says(
    office: Office, tmp_path: Path, mode: GenerationMode
) -> None:
    web = seed_web_office(office, tmp_path / "packets")
    app = web.app(limits=Limits(lookups_per_client=10**6))
    token = issue_token(office.db, office.admin, acting=office.admin, now=office.clock()).token
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) == 6
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def answers_as_documented(case: Case[Any]) -> None:
            # The valid token, unless an invalid request is one without any.
            sent: dict[str, object] = dict(case.headers or {})
            keep = mode is GenerationMode.POSITIVE or "Authorization" in sent
            case.call_and_validate(headers=headers if keep else None, checks=checks)

        answers_as_documented()

"""The API against its own OpenAPI schema (schemathesis), on the demo data, with a token.

The schema is read from /api/v1/schema/ through the WSGI application (in the process, on
the test database), then every operation is called with generated parameters, valid ones
and invalid ones (negative cases: wrong types, out-of-range numbers, unknown values), and
with the real ids of the demo's objects. Every answer must be documented by the schema: no
5xx, a documented status code and content type, a body that validates against the schema.
The number of examples is bounded so that the whole run stays well under a minute.
"""

from __future__ import annotations

import datetime

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actions.models import ActionSheet, Objective
from api.services import api_token_create
from conventions.models import Convention, User
from diagnostics.models import Diagnostic
from evaluation.models import Indicator, Measurement
from reports.models import ProgressReport

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
# Which demo objects each detail path is called with.
DETAILS = {
    "/api/v1/conventions/{id}/": Convention,
    "/api/v1/diagnostics/{id}/": Diagnostic,
    "/api/v1/objectives/{id}/": Objective,
    "/api/v1/fiches/{id}/": ActionSheet,
    "/api/v1/indicators/{id}/": Indicator,
    "/api/v1/measurements/{id}/": Measurement,
    "/api/v1/reports/{id}/": ProgressReport,
    "/api/v1/reports/{id}/pdf/": ProgressReport,
    "/api/v1/reports/{id}/xlsx/": ProgressReport,
}
REAL_IDS_PER_PATH = 15


@pytest.fixture
def wsgi_app():
    """The project's WSGI application on the test database: as Django's test client does,
    the end of a request must not close the connection (the test's transaction is on it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def demo_token(db, settings):
    """The demo (with its report), and a token of the Caf de Tarn-et-Garonne's agent."""
    settings.API_THROTTLE_RATE = "100000/hour"
    cache.clear()
    call_command("seed_demo", "--with-report", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ProgressReport.objects.filter(status=ProgressReport.Status.READY).exists()
    user = User.objects.get(email="agent.caf82@ctg.example")
    _, secret = api_token_create(
        user=user, name="schemathesis", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    yield secret
    cache.clear()


def run_generated(operation, headers, mode, failures, statuses, **fixed):
    strategy = operation.as_strategy(generation_mode=mode, **fixed)
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(headers=headers)
        statuses.setdefault(operation.label, set()).add(response.status_code)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as failure:  # noqa: BLE001 - every failure is listed at the end
            failures.append(f"{operation.label} [{mode.value}]: {failure}")

    call()


@pytest.mark.slow
def test_every_answer_of_the_api_is_valid_against_its_schema(demo_token, wsgi_app):
    headers = {"Authorization": f"Bearer {demo_token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= set(DETAILS), "an endpoint is missing"
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    calls = 0
    for operation in operations:
        for mode in EXAMPLES:
            run_generated(operation, headers, mode, failures, statuses)
            calls += EXAMPLES[mode]
        model = DETAILS.get(operation.path)
        if model is None:
            continue
        # The demo's real objects (the agent's in scope, Sorbiers' out of it: 404).
        for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:REAL_IDS_PER_PATH]:
            case = operation.Case(path_parameters={"id": pk})
            response = case.call(headers=headers)
            statuses.setdefault(operation.label, set()).add(response.status_code)
            calls += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except Exception as failure:  # noqa: BLE001
                failures.append(f"{operation.label} id={pk}: {failure}")
        run_generated(
            operation,
            headers,
            GenerationMode.POSITIVE,
            failures,
            statuses,
            path_parameters={"id": model.objects.order_by("pk").values_list("pk", flat=True)[0]},
        )
    assert calls > 300
    # Every operation answered with data at least once, and was refused at least once.
    assert all(200 in codes for codes in statuses.values()), statuses
    assert all(codes & {400, 404} for codes in statuses.values()), statuses
    assert not failures, f"{len(failures)} answers do not conform:\n" + "\n\n".join(failures)


def test_without_a_token_every_operation_is_a_documented_401(demo_token, wsgi_app):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/", wsgi_app, headers={"Authorization": f"Bearer {demo_token}"}
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        case = operation.Case(path_parameters={"id": 1} if "{id}" in operation.path else None)
        response = case.call()
        assert response.status_code == 401, operation.label
        case.validate_response(response, checks=CHECKS)

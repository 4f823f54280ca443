"""schemathesis against the running intake (issue 13): every status an operation answers is
in the OpenAPI document, no request is answered 500, every answer fits its schema. A fixed
seed and a bounded number of examples keep it a test, not a campaign."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.intake_process import IntakeProcess, intake_process

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzzed_intake(tmp_path_factory: pytest.TempPathFactory,
                  loaded_store_file: Path) -> Iterator[IntakeProcess]:
    with intake_process(tmp_path_factory.mktemp("fuzz"), loaded_store_file,
                        services=("services.aggregator", "services.notifier"),
                        TINHHINH_REQUIRE="aggregator,notifier") as running:
        deadline = time.monotonic() + 60  # until the aggregator and the notifier answer
        while httpx.get(f"{running.url}/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the services did not become ready"
            time.sleep(0.2)
        yield running


@pytest.fixture(scope="module")
def cadre_token(fuzzed_intake: IntakeProcess) -> str:
    resp = httpx.post(f"{fuzzed_intake.url}/api/v1/auth/token",
                      json={"username": "cb.thuanthanh.dongcoi", "password": "demo-2026"})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def test_every_operation_answers_as_documented(fuzzed_intake: IntakeProcess,
                                                cadre_token: str):
    schema = schemathesis.openapi.from_url(f"{fuzzed_intake.url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # Not `positive_data_acceptance`: a schema-valid request is refused by rules no
            # schema can say (the area must be the cadre's now, the period open, the
            # device_time near the server's, the case known); those answers are documented.
            case.call_and_validate(headers={"Authorization": f"Bearer {cadre_token}"},
                                   excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as err:  # every operation's, then one failure
            found = [line.strip() for line in str(err).splitlines()
                     if line.strip().startswith(("- ST", "Received:", "Documented:", "curl"))]
            failures.append(f"{operation.label}: " + " | ".join(found))
    assert not failures, "\n\n".join(failures)

"""A case command's Idempotency-Key: the same body replays, another body is 409 (issue 13)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import System
from tests.integration.test_cases import auth, open_case

pytestmark = pytest.mark.integration

LEADER = "ld.ccb.thuanthanh"


async def test_a_reused_key_with_another_body_is_refused_and_nothing_recorded(system: System):
    number = await open_case(system)
    leader = await system.token(LEADER)
    first = await system.client.post(f"/api/v1/cases/{number}/notes", headers=auth(leader, "n1"),
                                     json={"text": "Ghi chú thứ nhất"})
    assert first.status_code == 200
    position = system.position()
    same = await system.client.post(f"/api/v1/cases/{number}/notes", headers=auth(leader, "n1"),
                                    json={"text": "Ghi chú thứ nhất"})
    assert same.status_code == 200 and same.json() == first.json()
    other = await system.client.post(f"/api/v1/cases/{number}/notes", headers=auth(leader, "n1"),
                                     json={"text": "Một ghi chú khác"})
    assert other.status_code == 409, other.text
    err = other.json()["error"]
    assert err["code"] == "idempotency_conflict" and err["field"] == "Idempotency-Key"
    elsewhere = await system.client.post(f"/api/v1/cases/{number}/handler",
                                         headers=auth(leader, "n1"), json={"handler": "Tổ 1"})
    assert elsewhere.status_code == 409
    assert system.position() == position

"""RpcClient: a reply's status decides between its body and the DomainError it names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import nats.errors
import pytest

from domain.errors import DomainError
from services.common import contracts
from services.common.rpc_client import RpcClient


@dataclass
class Msg:
    data: bytes


class Nc:
    """Answers each request with the next reply, or raises it when it is an exception."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.sent: list[tuple[str, Any, float]] = []

    async def request(self, subject: str, payload: bytes,
                      timeout: float) -> Msg:  # noqa: ASYNC109 - nats-py's signature
        self.sent.append((subject, json.loads(payload), timeout))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return Msg(json.dumps(reply).encode())


def client(nc: Nc) -> RpcClient:
    return RpcClient(nc, code="thing_unavailable", message="The thing is down",  # type: ignore[arg-type]
                     message_vi="Dịch vụ chưa sẵn sàng", timeout=3.0)


async def test_a_200_reply_comes_back_whole() -> None:
    nc = Nc({"status": 200, "body": {"x": 1}})
    assert await client(nc).request("a.b", {"q": "1"}) == {"status": 200, "body": {"x": 1}}
    assert nc.sent == [("a.b", {"q": "1"}, 3.0)]


async def test_an_error_reply_is_raised_as_the_error_it_names() -> None:
    nc = Nc({"status": 403, "body": {"error": {"code": "forbidden", "message": "Not yours",
                                               "message_vi": "Không thuộc quyền",
                                               "field": "unit_id"}}})
    with pytest.raises(DomainError) as refused:
        await client(nc).request("a.b", {})
    err = refused.value
    assert (err.status, err.code, err.message, err.message_vi, err.field) == (
        403, "forbidden", "Not yours", "Không thuộc quyền", "unit_id")


@pytest.mark.parametrize("reply", [{"status": 500}, {"status": 500, "body": None},
                                   {"status": 502, "body": {"error": None}}, {}])
async def test_an_error_reply_without_an_error_body_still_raises(reply: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as refused:
        await client(Nc(reply)).request("a.b", {})
    assert refused.value.code == "failed"
    assert refused.value.status == reply.get("status", 500)


@pytest.mark.parametrize("failure", [nats.errors.NoRespondersError(), nats.errors.TimeoutError()])
async def test_no_answer_is_the_services_503(failure: Exception) -> None:
    with pytest.raises(DomainError) as refused:
        await client(Nc(failure)).request("a.b", {})
    assert (refused.value.status, refused.value.code) == (503, "thing_unavailable")
    assert refused.value.message_vi == "Dịch vụ chưa sẵn sàng"


async def test_a_call_sends_the_contracts_request_and_returns_its_reply() -> None:
    nc = Nc({"status": 200, "body": {"alerts": []}})
    reply = await client(nc).call(contracts.ALERTS_LIST, contracts.ListAlerts("a-1", "all"))
    assert reply == {"status": 200, "body": {"alerts": []}}
    assert nc.sent == [("tinhhinh.svc.v1.alerts.list", {"account_id": "a-1", "status": "all"},
                        3.0)]


async def test_a_201_reply_comes_back_whole() -> None:
    nc = Nc({"status": 201, "body": {"report_id": "r"}})
    assert (await client(nc).request("a.b", {}))["body"] == {"report_id": "r"}

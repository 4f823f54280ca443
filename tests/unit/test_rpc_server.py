"""The answering side of a contract: a handler sees only valid requests, and every request
gets a reply — a refusal, a failure or the handler's answer — from a subscriber that lives on."""

from __future__ import annotations

import json
from typing import Any

from faststream.nats import NatsBroker, NatsRouter, TestNatsBroker

from domain.errors import Forbidden
from services.common import contracts
from services.common.contracts import AckAlert, Reply
from services.common.rpc_server import answer, respond


class Handler:
    """Answers with the alert id it was asked for; records every request it sees."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.seen: list[AckAlert] = []
        self.fail = fail

    async def __call__(self, request: AckAlert) -> Reply[dict[str, Any]]:
        self.seen.append(request)
        if self.fail is not None:
            raise self.fail
        return {"status": 200, "body": {"alert_id": request.alert_id}}


ACK = json.dumps({"account_id": "a-1", "alert_id": "x-1"}).encode()


async def test_the_handler_gets_the_decoded_request_and_its_reply_goes_back() -> None:
    handler = Handler()
    reply = await respond(contracts.ALERTS_ACK, ACK, handler)
    assert reply == {"status": 200, "body": {"alert_id": "x-1"}}
    assert handler.seen == [AckAlert(account_id="a-1", alert_id="x-1")]


async def test_a_malformed_request_is_refused_without_reaching_the_handler() -> None:
    handler = Handler()
    reply: Any = await respond(contracts.ALERTS_ACK, b'{"account_id": "a-1"}', handler)
    assert reply["status"] == 422
    assert reply["body"]["error"]["field"] == "alert_id"
    assert handler.seen == []


async def test_a_refusal_by_the_handler_is_its_error_reply() -> None:
    refused = Forbidden("forbidden", "Not yours", "Không thuộc quyền", "alert_id")
    reply = await respond(contracts.ALERTS_ACK, ACK, Handler(fail=refused))
    assert reply == contracts.error_reply(refused)


async def test_a_failing_handler_answers_500_instead_of_leaving_the_caller_waiting() -> None:
    reply: Any = await respond(contracts.ALERTS_ACK, ACK, Handler(fail=RuntimeError("bug")))
    assert reply["status"] == 500
    error = reply["body"]["error"]
    assert error["code"] == "internal_error" and error["message_vi"]


async def test_the_subscriber_answers_garbage_and_failures_and_goes_on_answering() -> None:
    # Given a subscriber whose handler fails on its second request
    handler = Handler()
    router = NatsRouter()
    answer(router, contracts.ALERTS_ACK, "q", handler)
    broker = NatsBroker("nats://127.0.0.1:1")  # never dialled: TestNatsBroker is in memory
    broker.include_router(router)
    async with TestNatsBroker(broker) as test:
        async def ask(data: bytes) -> Any:
            return json.loads((await test.request(data, contracts.ALERTS_ACK.subject)).body)

        # When it is sent garbage, then a request that breaks the handler, then a good one
        garbage = await ask(b"\xff not json")
        handler.fail = RuntimeError("bug")
        broken = await ask(ACK)
        handler.fail = None
        good = await ask(ACK)
    # Then each gets its reply
    assert (garbage["status"], garbage["body"]["error"]["code"]) == (422, "invalid_json")
    assert broken["status"] == 500
    assert good == {"status": 200, "body": {"alert_id": "x-1"}}

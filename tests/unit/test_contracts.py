"""The RPC contracts: each request decodes strictly, names the field it refuses, encodes as sent."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

import pytest

from domain.errors import DomainError, InvalidInput, NotFound
from services.common import contracts
from services.common.contracts import Rpc

# One valid request per subject (by key: public subjects by name, internal ones "svc.<name>"),
# and for each one field that must be a string.
VALID: dict[str, tuple[dict[str, Any], str | None]] = {
    "auth.token": ({"username": "cb.a", "password": "secret"}, "password"),
    "reports.submit": ({"token": "t", "idempotency_key": "k-1",
                        "report": {"kind": "weekly"}}, "idempotency_key"),
    "reports.get": ({"token": "t", "report_id": "r-1"}, "report_id"),
    "rollups.get": ({"token": "t", "unit_id": "ccb-tinh", "period": "2026-W48",
                     "format": "html"}, "token"),
    "alerts.list": ({"token": "t", "status": "open"}, "token"),
    "alerts.ack": ({"token": "t", "alert_id": "x-1"}, "alert_id"),
    "overdue": ({"token": "t", "at": "2026-11-26T14:00:00+07:00"}, "at"),
    "svc.rollups.get": ({"account_id": "a-1", "unit_id": "ccb-tinh", "period": "2026-W48",
                         "format": "html"}, "period"),
    "svc.aggregator.health": ({}, None),
    "svc.alerts.list": ({"account_id": "a-1", "status": "open"}, "account_id"),
    "svc.alerts.ack": ({"account_id": "a-1", "alert_id": "x-1"}, "alert_id"),
    "svc.overdue": ({"at": "2026-11-26T14:00:00+07:00", "account_id": "a-1"}, "at"),
    "svc.notifier.health": ({}, None),
    "svc.alerts.groups": ({"account_id": "a-1", "type": "overdue"}, "account_id"),
    "svc.alerts.ack_many": ({"account_id": "a-1", "idempotency_key": "k-1",
                             "group": "overdue|weekly|2026-W48|ccb-ho"}, "idempotency_key"),
}
REQUIRED: dict[str, list[str]] = {
    "auth.token": ["username", "password"],
    "reports.submit": ["token", "idempotency_key", "report"],
    "reports.get": ["token", "report_id"],
    "rollups.get": ["token", "unit_id", "period"],
    "alerts.list": ["token"],
    "alerts.ack": ["token", "alert_id"],
    "overdue": ["token", "at"],
    "svc.rollups.get": ["account_id", "unit_id", "period"],
    "svc.alerts.list": ["account_id"],
    "svc.alerts.ack": ["account_id", "alert_id"],
    "svc.overdue": ["at"],
    "svc.alerts.groups": ["account_id"],
    "svc.alerts.ack_many": ["account_id", "idempotency_key"],
}


def key(rpc: Rpc[Any, Any]) -> str:
    return rpc.name if rpc.public else f"svc.{rpc.name}"


BY_NAME = {key(rpc): rpc for rpc in contracts.EVERY}


def refusal(rpc: Rpc[Any, Any], data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        rpc.decode(data)
    err = refused.value
    assert err.status == 422
    assert err.message and err.message_vi and err.message != err.message_vi
    return err


def test_every_subject_is_named_once_public_or_internal() -> None:
    subjects = [rpc.subject for rpc in contracts.EVERY]
    assert len(set(subjects)) == len(subjects) == len(VALID)
    assert all(r.subject.startswith("tinhhinh.rpc.v1.") for r in contracts.PUBLIC)
    assert all(r.subject.startswith("tinhhinh.svc.v1.") for r in contracts.INTERNAL)
    assert set(BY_NAME) == set(VALID)


def test_every_public_request_but_sign_in_carries_a_token_and_no_account() -> None:
    """A machine client never names an account: the token says who asks."""
    for rpc in contracts.PUBLIC:
        names = {f.name for f in fields(rpc.request)}
        assert "account_id" not in names
        assert ("token" in names) == (rpc is not contracts.AUTH_TOKEN), rpc.name


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_valid_request_is_decoded_into_its_fields(name: str) -> None:
    rpc = BY_NAME[name]
    request, _ = VALID[name]
    decoded = rpc.decode(json.dumps(request).encode())
    assert isinstance(decoded, rpc.request)
    assert {k: v for k, v in asdict(decoded).items() if k in request} == request


@pytest.mark.parametrize("name", sorted(VALID))
def test_an_encoded_request_decodes_to_itself(name: str) -> None:
    rpc = BY_NAME[name]
    decoded = rpc.decode(json.dumps(VALID[name][0]).encode())
    assert rpc.decode(rpc.encode(decoded)) == decoded


@pytest.mark.parametrize(("name", "field"),
                         [(name, field) for name, fields in REQUIRED.items() for field in fields])
def test_a_missing_field_is_refused_by_name(name: str, field: str) -> None:
    request = {k: v for k, v in VALID[name][0].items() if k != field}
    err = refusal(BY_NAME[name], json.dumps(request).encode())
    assert (err.code, err.field) == ("missing_field", field)


@pytest.mark.parametrize("name", sorted(n for n, (_, field) in VALID.items() if field))
@pytest.mark.parametrize("wrong", [5, None, ["x"], {"x": 1}, True])
def test_a_field_of_the_wrong_type_is_refused_by_name(name: str, wrong: object) -> None:
    request, field = VALID[name]
    err = refusal(BY_NAME[name], json.dumps({**request, field: wrong}).encode())
    assert (err.code, err.field) == ("invalid_field", field)


def test_a_report_that_is_not_an_object_is_refused_by_name() -> None:
    request = {**VALID["reports.submit"][0], "report": "weekly"}  # a public subject
    err = refusal(contracts.REPORTS_SUBMIT, json.dumps(request).encode())
    assert (err.code, err.field) == ("invalid_field", "report")


@pytest.mark.parametrize("name", sorted(VALID))
def test_an_unknown_field_is_refused_by_name(name: str) -> None:
    request = {**VALID[name][0], "admin": True}
    err = refusal(BY_NAME[name], json.dumps(request).encode())
    assert (err.code, err.field) == ("unknown_field", "admin")


def test_an_unknown_fields_name_is_echoed_back_only_in_part() -> None:
    err = refusal(contracts.NOTIFIER_HEALTH, json.dumps({"x" * 10_000: 1}).encode())
    assert err.field == "x" * 64


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("data", [b"not json", b"\xff\xfe{}", b"", b"{\"token\": "])
def test_a_request_that_is_not_json_is_refused(name: str, data: bytes) -> None:
    err = refusal(BY_NAME[name], data)
    assert (err.code, err.field) == ("invalid_json", "body")


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("data", [b"[]", b"[{}]", b"\"x\"", b"42", b"null", b"true"])
def test_a_request_that_is_not_an_object_is_refused(name: str, data: bytes) -> None:
    err = refusal(BY_NAME[name], data)
    assert (err.code, err.field) == ("invalid_json", "body")


def test_optional_fields_may_be_left_out_or_null() -> None:
    assert contracts.ALERTS_LIST.decode(b'{"account_id": "a"}').status is None
    assert contracts.OVERDUE.decode(b'{"at": "t", "account_id": null}').account_id is None
    assert contracts.ROLLUPS_GET.decode(
        b'{"account_id": "a", "unit_id": "u", "period": "p"}').format == "json"
    page = contracts.ALERTS_LIST.decode(b'{"account_id": "a", "limit": 20, "cursor": "c"}')
    assert (page.limit, page.cursor) == (20, "c")
    overdue = contracts.OVERDUE.decode(b'{"at": "t", "limit": 500, "cursor": "c"}')
    assert (overdue.limit, overdue.cursor) == (500, "c")


@pytest.mark.parametrize(("rpc", "request_"), [
    (contracts.ALERTS_LIST, {"account_id": "a", "status": 5}),
    (contracts.ALERTS_LIST, {"account_id": "a", "limit": "10"}),
    (contracts.ALERTS_LIST, {"account_id": "a", "limit": True}),
    (contracts.ALERTS_LIST, {"account_id": "a", "cursor": 3}),
    (contracts.OVERDUE, {"at": "t", "account_id": ["a"]}),
    (contracts.OVERDUE, {"at": "t", "limit": "500"}),
    (contracts.OVERDUE, {"at": "t", "cursor": 1}),
    (contracts.ROLLUPS_GET, {"account_id": "a", "unit_id": "u", "period": "p",
                             "format": None}),
])
def test_an_optional_field_of_the_wrong_type_is_refused_by_name(
        rpc: Rpc[Any, Any], request_: dict[str, Any]) -> None:
    [field] = [k for k in request_ if k not in REQUIRED[key(rpc)]]
    err = refusal(rpc, json.dumps(request_).encode())
    assert (err.code, err.field) == ("invalid_field", field)


def test_a_rollup_of_an_unknown_format_or_no_unit_is_refused_by_name() -> None:
    err = refusal(contracts.ROLLUPS_GET,
                  b'{"account_id": "a", "unit_id": "u", "period": "p", "format": "pdf"}')
    assert (err.code, err.field) == ("invalid_field", "format")
    err = refusal(contracts.ROLLUPS_GET, b'{"account_id": "a", "unit_id": "", "period": "p"}')
    assert (err.code, err.field) == ("invalid_field", "unit_id")
    with pytest.raises(InvalidInput) as refused:
        contracts.rollup_format("pdf")
    assert refused.value.field == "format"


def test_requests_are_encoded_as_the_clients_sent_them_before_the_contracts() -> None:
    # Byte for byte: field order, json.dumps' spacing, optional None left out.
    assert contracts.ROLLUPS_GET.encode(contracts.GetRollup("a", "u", "2026-W48", "docx")) == \
        json.dumps({"account_id": "a", "unit_id": "u", "period": "2026-W48",
                    "format": "docx"}).encode()
    assert contracts.OVERDUE.encode(contracts.Overdue("2026-11-26T07:00:00+00:00")) == \
        json.dumps({"at": "2026-11-26T07:00:00+00:00"}).encode()
    assert contracts.ALERTS_LIST.encode(contracts.ListAlerts("a", "open")) == \
        json.dumps({"account_id": "a", "status": "open"}).encode()
    assert contracts.NOTIFIER_HEALTH.encode(contracts.Empty()) == b"{}"


def test_an_error_reply_carries_the_refusal_in_both_languages() -> None:
    err = NotFound("unit_not_found", "Unit not found", "Không tìm thấy đơn vị", "unit_id")
    assert contracts.error_reply(err) == {"status": 404, "body": {"error": {
        "code": "unit_not_found", "message": "Unit not found",
        "message_vi": "Không tìm thấy đơn vị", "field": "unit_id"}}}


@pytest.mark.parametrize("status", [200, 201])
def test_a_2xx_reply_is_no_refusal(status: int) -> None:
    assert contracts.refusal_of({"status": status, "body": {}}) is None


def test_an_error_reply_is_the_refusal_it_names() -> None:
    reply = contracts.error_reply(NotFound("not_found", "gone", "không còn", "alert_id"))
    err = contracts.refusal_of(reply)
    assert isinstance(err, DomainError)
    assert (err.status, err.code, err.message, err.message_vi, err.field) == (
        404, "not_found", "gone", "không còn", "alert_id")


@pytest.mark.parametrize("reply", [{}, {"status": "200"}, [], None, {"status": 500,
                                                                      "body": "x"}])
def test_a_reply_without_a_status_or_error_body_is_a_refusal_still(reply: object) -> None:
    err = contracts.refusal_of(reply)
    assert err is not None and err.code == "failed"

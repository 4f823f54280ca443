"""Every NATS request/reply of the system: its subject, its strictly decoded request, its reply.

Two kinds of subject, told apart by the bus's permissions (services/common/nats_auth.py):

- public, ``tinhhinh.rpc.v1.*``: answered by the intake, asked by machine clients (the NATS
  user ``client`` may publish only there); every request but ``auth.token`` carries the
  caller's bearer token and is scoped as its HTTP twin;
- internal, ``tinhhinh.svc.v1.*``: answered by the aggregator and the notifier, asked by the
  intake (and, for the operator's views, the ``cli`` user) — no other user may publish
  there, so the account a request names is the one the intake has authenticated, and the
  answering service checks what that account may see.

Wire format, version 1: the request is a JSON object with exactly the
fields of its request class below (optional ones may be left out); the reply is
``{"status": <HTTP-like code>, "body": ...}`` — a refusal's body is
``{"error": {"code", "message", "message_vi", "field"}}``, as over HTTP. A request that is not
a JSON object, lacks a required field, has one of the wrong type or one it does not know is
refused with 422 and the field named. The rollup reply alone carries ``html`` or ``docx`` and
``filename`` in place of ``body``. docs/api.md, docs/aggregator.md and docs/notifier.md say
what each answer means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar, cast, get_args

from domain.errors import DomainError, InvalidInput
from services.common.strict_json import Dataclass, decode_object, one_of

PREFIX = "tinhhinh.rpc.v1"  # public: machine clients, with a token; the intake answers
INTERNAL_PREFIX = "tinhhinh.svc.v1"  # the intake, on behalf of an account; the others answer

Req = TypeVar("Req", bound=Dataclass)
Rep = TypeVar("Rep")
B = TypeVar("B")


# -- the envelope ---------------------------------------------------------------------------

class ErrorBody(TypedDict):
    code: str
    message: str
    message_vi: str
    field: str | None


class Refusal(TypedDict):
    error: ErrorBody


class Reply(TypedDict, Generic[B]):
    status: int
    body: B


ErrorReply = Reply[Refusal]


def error_reply(err: DomainError) -> ErrorReply:
    return {"status": err.status, "body": {"error": ErrorBody(
        code=err.code, message=err.message, message_vi=err.message_vi, field=err.field)}}


def refusal_of(reply: object) -> DomainError | None:
    """None for a 2xx reply; else the DomainError its body names, with the reply's status."""
    answer = reply if isinstance(reply, dict) else {}
    status = answer.get("status")
    if isinstance(status, int) and 200 <= status < 300:
        return None
    body = answer.get("body")
    error = (body.get("error") if isinstance(body, dict) else None) or {}
    err = DomainError(str(error.get("code", "failed")), str(error.get("message", "")),
                      str(error.get("message_vi", "")), error.get("field"))
    err.status = status if isinstance(status, int) else 500
    return err


@dataclass(frozen=True)
class Rpc(Generic[Req, Rep]):
    """One subject: its request class (decoded strictly) and, as `Rep`, the reply it gets."""

    name: str
    request: type[Req]
    prefix: str = PREFIX

    @property
    def subject(self) -> str:
        return f"{self.prefix}.{self.name}"

    @property
    def public(self) -> bool:
        return self.prefix == PREFIX

    def decode(self, data: bytes) -> Req:
        """The request in `data`, or InvalidInput naming the field that is wrong."""
        return decode_object(self.request, data)

    def encode(self, request: Req) -> bytes:
        """JSON, in field order; an optional field left at None is not sent."""
        payload = {f.name: getattr(request, f.name) for f in fields(request)
                   if not (f.default is None and getattr(request, f.name) is None)}
        return json.dumps(payload).encode()


# -- requests -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Empty:
    """``{}``: a readiness probe asks nothing."""


@dataclass(frozen=True)
class SignIn:
    username: str
    password: str


@dataclass(frozen=True)
class SubmitReport:
    token: str
    idempotency_key: str
    report: dict[str, Any]  # its content is the domain's to judge (domain/report_content.py)


@dataclass(frozen=True)
class GetReport:
    token: str
    report_id: str


# "article": the document without its page, for a web page to embed (docs/api.md).
RollupFormat = Literal["json", "html", "article", "docx"]


def rollup_format(value: str) -> RollupFormat:
    """`value` as a rollup format, refused as the aggregator would refuse it."""
    return cast(RollupFormat, one_of("format", value, get_args(RollupFormat)))


@dataclass(frozen=True)
class GetRollup:
    """Internal: the rollup `account_id` asks for; the aggregator checks that this account may
    read that unit (as the intake has before asking)."""

    account_id: str
    unit_id: str
    period: str
    format: RollupFormat = "json"

    def __post_init__(self) -> None:
        if not self.unit_id:
            raise InvalidInput("invalid_field", "unit_id: must be a unit id",
                               "unit_id: phải là mã đơn vị", "unit_id")


@dataclass(frozen=True)
class ListAlerts:
    account_id: str
    status: str | None = None  # open (the default), acknowledged, resolved or all
    limit: int | None = None  # 1-500, default 100 (services/common/paging.py)
    cursor: str | None = None  # next_cursor of the page before
    # Filters (docs/notifier.md): alert type, report kind, period, unit, or a group's key.
    type: str | None = None
    kind: str | None = None
    period: str | None = None
    unit_id: str | None = None
    group: str | None = None

    def filters(self) -> dict[str, str]:
        return alert_filters(self)


def alert_filters(request: object) -> dict[str, str]:
    """The filters a request names, left out when empty."""
    names = ("type", "kind", "period", "unit_id", "group")
    return {n: v for n in names if (v := getattr(request, n, None))}


@dataclass(frozen=True)
class AlertGroups:
    """The account's alerts grouped by type, report kind, period and unit."""

    account_id: str
    status: str | None = None
    type: str | None = None
    kind: str | None = None
    period: str | None = None
    unit_id: str | None = None

    def filters(self) -> dict[str, str]:
        return alert_filters(self)


@dataclass(frozen=True)
class AckAlerts:
    """Acknowledge every open alert of the account in a group or matching the filters."""

    account_id: str
    idempotency_key: str
    group: str | None = None
    type: str | None = None
    kind: str | None = None
    period: str | None = None
    unit_id: str | None = None

    def filters(self) -> dict[str, str]:
        return alert_filters(self)


@dataclass(frozen=True)
class AckAlert:
    account_id: str
    alert_id: str


@dataclass(frozen=True)
class Overdue:
    at: str  # ISO 8601 with offset
    account_id: str | None = None  # cut to what that account may see; None: everything
    limit: int | None = None  # 1-500, default 100 (services/common/paging.py)
    cursor: str | None = None  # next_cursor of the page before


# Public requests: the caller's bearer token (from auth.token) instead of an account id.

@dataclass(frozen=True)
class ClientRollup:
    token: str
    unit_id: str
    period: str
    format: RollupFormat = "json"


@dataclass(frozen=True)
class ClientAlerts:
    token: str
    status: str | None = None
    limit: int | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class ClientAck:
    token: str
    alert_id: str


@dataclass(frozen=True)
class ClientOverdue:
    token: str
    at: str
    limit: int | None = None
    cursor: str | None = None


# -- replies --------------------------------------------------------------------------------

class Token(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


class Alerts(TypedDict):
    """One page, newest first; ``next_cursor`` asks for the next one (None: the last)."""

    alerts: list[dict[str, Any]]
    next_cursor: str | None
    total: int


class OverdueRow(TypedDict):
    kind: str
    period: str
    cadre_id: str | None
    area_id: str | None
    unit_id: str | None
    deadline: str


class OverduePage(TypedDict):
    """One page in the order of deadline, kind, period, unit, area, cadre; ``next_cursor``
    asks for the next one (None: the last). CONTRACT's plain list is every page's rows."""

    overdue: list[OverdueRow]
    next_cursor: str | None
    total: int


class RollupReply(TypedDict):
    """``body`` (json), ``html`` (html, article), or ``docx`` (base64) with ``filename``: the
    one asked for."""

    status: int
    body: NotRequired[dict[str, Any]]
    html: NotRequired[str]
    docx: NotRequired[str]
    filename: NotRequired[str]


Health = Reply[dict[str, Any]]

# -- the subjects ---------------------------------------------------------------------------

# Public, answered by the intake (services/intake/rpc.py): the same use cases, scopes and
# answers as HTTP; each checks the token first (401 without one).
AUTH_TOKEN: Rpc[SignIn, Reply[Token]] = Rpc("auth.token", SignIn)
REPORTS_SUBMIT: Rpc[SubmitReport, Reply[dict[str, Any]]] = Rpc("reports.submit", SubmitReport)
REPORTS_GET: Rpc[GetReport, Reply[dict[str, Any]]] = Rpc("reports.get", GetReport)
PUBLIC_ROLLUPS_GET: Rpc[ClientRollup, RollupReply] = Rpc("rollups.get", ClientRollup)
PUBLIC_ALERTS_LIST: Rpc[ClientAlerts, Reply[Alerts]] = Rpc("alerts.list", ClientAlerts)
PUBLIC_ALERTS_ACK: Rpc[ClientAck, Reply[dict[str, Any]]] = Rpc("alerts.ack", ClientAck)
PUBLIC_OVERDUE: Rpc[ClientOverdue, Reply[OverduePage]] = Rpc("overdue", ClientOverdue)

# Internal, the aggregator (services/aggregator/rpc.py).
ROLLUPS_GET: Rpc[GetRollup, RollupReply] = Rpc("rollups.get", GetRollup, INTERNAL_PREFIX)
AGGREGATOR_HEALTH: Rpc[Empty, Health] = Rpc("aggregator.health", Empty, INTERNAL_PREFIX)

# Internal, the notifier (services/notifier/rpc.py): the account the intake authenticated.
ALERTS_LIST: Rpc[ListAlerts, Reply[Alerts]] = Rpc("alerts.list", ListAlerts, INTERNAL_PREFIX)
ALERTS_ACK: Rpc[AckAlert, Reply[dict[str, Any]]] = Rpc("alerts.ack", AckAlert, INTERNAL_PREFIX)
ALERTS_GROUPS: Rpc[AlertGroups, Reply[dict[str, Any]]] = Rpc("alerts.groups", AlertGroups,
                                                             INTERNAL_PREFIX)
ALERTS_ACK_MANY: Rpc[AckAlerts, Reply[dict[str, Any]]] = Rpc("alerts.ack_many", AckAlerts,
                                                            INTERNAL_PREFIX)
OVERDUE: Rpc[Overdue, Reply[OverduePage]] = Rpc("overdue", Overdue, INTERNAL_PREFIX)
NOTIFIER_HEALTH: Rpc[Empty, Health] = Rpc("notifier.health", Empty, INTERNAL_PREFIX)

PUBLIC: tuple[Rpc[Any, Any], ...] = (AUTH_TOKEN, REPORTS_SUBMIT, REPORTS_GET,
                                     PUBLIC_ROLLUPS_GET, PUBLIC_ALERTS_LIST,
                                     PUBLIC_ALERTS_ACK, PUBLIC_OVERDUE)
INTERNAL: tuple[Rpc[Any, Any], ...] = (ROLLUPS_GET, AGGREGATOR_HEALTH, ALERTS_LIST,
                                       ALERTS_ACK, ALERTS_GROUPS, ALERTS_ACK_MANY, OVERDUE,
                                       NOTIFIER_HEALTH)
EVERY: tuple[Rpc[Any, Any], ...] = PUBLIC + INTERNAL

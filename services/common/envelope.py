"""The one strict decoder of event envelopes (wire v1) that every consumer uses.

An envelope either decodes into a dict every consumer can apply without a
KeyError, or is refused with `EnvelopeRejected` naming the reason; a consumer
dead-letters what is refused and carries on. The fields of the event types the
consumers read are checked here, once; types no consumer reads pass with the
envelope checks alone, so a new event type never stops an older consumer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from domain.errors import DomainError
from domain.network_records import Area, Cadre, Level, Unit
from domain.obligations import Obligation
from domain.periods import URGENT, Period
from domain.schedule import Schedule

VERSION = 1  # services/common/wire.py documents it; kept here so wire can import this module

Data = dict[str, Any]


class EnvelopeRejected(ValueError):
    """An envelope no consumer can apply, on any retry: `reason` says why, in English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def decode(payload: bytes) -> dict[str, Any]:
    """The envelope as a dict, or `EnvelopeRejected`; orjson, as decoding is much of a catch-up."""
    try:
        envelope = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeRejected(f"not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise EnvelopeRejected("an envelope must be a JSON object")
    if envelope.get("v") != VERSION:
        raise EnvelopeRejected(f"unsupported envelope version: {_shown(envelope.get('v'))}")
    for key, check in _ENVELOPE:
        if key not in envelope:
            raise EnvelopeRejected(f"envelope lacks {key!r}")
        if not check(envelope[key]):
            raise EnvelopeRejected(f"envelope field {key!r} is malformed: "
                                   f"{_shown(envelope[key])}")
    # The relay's own id (wire.event_id), JetStream's de-duplication key: an envelope that
    # claims another id than its aggregate and version give was not published by the relay.
    expected_id = f"{envelope['aggregate_id'].replace('-', '')}-{envelope['aggregate_version']}"
    if envelope["event_id"] != expected_id:
        raise EnvelopeRejected(f"event_id {_shown(envelope['event_id'])} does not follow from "
                               f"its aggregate and version ({expected_id})")
    rule = _rule(envelope["type"])
    if rule is not None:
        try:
            rule(envelope["data"])
        except (KeyError, TypeError, ValueError, DomainError) as exc:
            raise EnvelopeRejected(f"{envelope['type']} data is malformed: "
                                   f"{_explained(exc)}") from None
    return envelope


# -- the envelope ----------------------------------------------------------------------


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _count(value: object) -> bool:
    return type(value) is int and value >= 1


# The form `str(UUID(...))` gives: a regular expression is a fifth of the cost of UUID(),
# and decoding is much of a catch-up.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def _instant(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


_ENVELOPE: tuple[tuple[str, Callable[[object], bool]], ...] = (
    ("event_id", _text),
    # Checked, never trusted: a consumer's place comes from the stream's own sequence.
    ("position", _count),
    ("type", _text),
    ("aggregate_id", _uuid),
    ("aggregate_version", _count),
    ("recorded_at", _instant),
    ("area_path", lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v)),
    ("data", lambda v: isinstance(v, dict)),
)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _explained(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"lacks {exc.args[0]!r}"
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc)


# -- the data of the types consumers read -----------------------------------------------


def _need(data: Data, key: str, check: Callable[[object], bool], what: str) -> None:
    if not check(data[key]):
        raise ValueError(f"{key!r} must be {what}, not {_shown(data[key])}")


def _maybe(data: Data, key: str, check: Callable[[object], bool], what: str) -> None:
    if data.get(key) is not None and not check(data[key]):
        raise ValueError(f"{key!r} must be {what} or null, not {_shown(data[key])}")


@lru_cache(maxsize=4096)
def _period(kind: str, period: str | None) -> None:
    """Raise unless the period is one the report kind is filed on; cached, periods repeat."""
    if kind == URGENT:
        if period is not None:
            raise ValueError(f"an urgent report has no period, not {_shown(period)}")
        return
    if period is None:
        raise ValueError(f"a {kind} report needs a period")
    Period.for_kind(kind, period)


def _report(data: Data) -> None:
    _need(data, "kind", lambda v: isinstance(v, str), "a report kind")
    period = data.get("period")
    if period is not None and not isinstance(period, str):
        raise ValueError(f"'period' must be text such as 2026-W48, not {_shown(period)}")
    _period(data["kind"], period)
    for key in ("area_id", "cadre_id"):
        _need(data, key, _text, "an id")
    _need(data, "submitted_at", _instant, "an ISO 8601 time with offset")
    _maybe(data, "deadline", _instant, "an ISO 8601 time with offset")
    _maybe(data, "device_time", _instant, "an ISO 8601 time with offset")
    _maybe(data, "unit_id", _text, "an id")
    _maybe(data, "on_time", lambda v: isinstance(v, bool), "true or false")
    _maybe(data, "content", lambda v: isinstance(v, dict), "an object")
    content = data.get("content") or {}
    _maybe(content, "counts", lambda v: isinstance(v, dict), "an object")
    _maybe(content, "hot_spots", lambda v: isinstance(v, list), "a list")


def _correction(data: Data) -> None:
    """ReportCorrected: the aggregator finds the report by what it says and replaces its
    figures with the content (docs/aggregator.md)."""
    _need(data, "kind", lambda v: isinstance(v, str), "a report kind")
    period = data.get("period")
    if period is not None and not isinstance(period, str):
        raise ValueError(f"'period' must be text such as 2026-W48, not {_shown(period)}")
    _period(data["kind"], period)
    for key in ("area_id", "cadre_id"):
        _need(data, key, _text, "an id")
    _need(data, "revision", lambda v: type(v) is int and v >= 2, "a revision from 2")
    _need(data, "first_submitted_at", _instant, "an ISO 8601 time with offset")
    _need(data, "content", lambda v: isinstance(v, dict), "an object")
    _maybe(data["content"], "counts", lambda v: isinstance(v, dict), "an object")
    _maybe(data["content"], "hot_spots", lambda v: isinstance(v, list), "a list")


def _case_status(data: Data) -> None:
    _need(data, "status", _text, "a case status")
    _maybe(data, "report_ids", lambda v: isinstance(v, list), "a list")


def _network(what: str) -> Callable[[Data], None]:
    """Network{Level,Area,Unit,Cadre}{Defined,Retired} and the network's own fields."""
    def check(data: Data) -> None:
        if what in ("Created", "Renamed"):
            _need(data, "name", lambda v: isinstance(v, str), "text")
        elif what == "ScheduleDefined":
            _need(data, "schedule", lambda v: isinstance(v, dict), "an object")
            Schedule.from_mapping(data["schedule"])
        elif what == "EscalationDefined":
            _need(data, "escalation", lambda v: isinstance(v, dict), "an object")
        elif what == "ObligationsDefined":
            _obligations(data)
        elif what.endswith("Defined"):
            kind = what[: -len("Defined")]
            _need(data, kind.lower(), lambda v: isinstance(v, dict) and _text(v.get("id")),
                  "an object with an id")
            _RECORDS[kind](data[kind.lower()])  # as the network view will read it
        elif what.endswith("Retired"):
            _need(data, what[: -len("Retired")].lower() + "_id", _text, "an id")
    return check


def _account(what: str) -> Callable[[Data], None]:
    def check(data: Data) -> None:
        keys = {"Opened": ("username", "name", "role"), "Updated": ("name", "role")}
        for key in keys.get(what, ()):
            _need(data, key, lambda v: isinstance(v, str), "text")
    return check


def _assignment(what: str) -> Callable[[Data], None]:
    def check(data: Data) -> None:
        if what == "Started":
            for key in ("cadre_id", "area_id"):
                _need(data, key, _text, "an id")
            _need(data, "valid_from", _instant, "an ISO 8601 time with offset")
        _maybe(data, "valid_until", _instant, "an ISO 8601 time with offset")
    return check


def _obligations(data: Data) -> None:
    # Every record must read back, or NetworkView.engine() would fail in every consumer.
    _need(data, "obligations", lambda v: isinstance(v, list) and all(isinstance(o, dict)
                                                                      for o in v),
          "a list of obligations")
    for index, record in enumerate(data["obligations"]):
        try:
            Obligation.from_mapping(record)
        except DomainError as exc:
            raise ValueError(f"obligations[{index}].{exc.field}: {exc.message}") from None
        except ValueError as exc:
            raise ValueError(f"obligations[{index}]: {exc}") from None


# Each network record and the reader the network view builds it with.
_RECORDS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "Level": Level.from_record, "Area": Area.from_record, "Unit": Unit.from_record,
    "Cadre": Cadre.from_record}
_OWN_FIELDS = ("Created", "Renamed", "ScheduleDefined", "EscalationDefined", "ObligationsDefined")


@lru_cache(maxsize=256)
def _rule(type_: str) -> Callable[[Data], None] | None:
    if type_ == "ReportSubmitted":
        return _report
    if type_ == "ReportCorrected":
        return _correction
    if type_ == "CaseStatusChanged":
        return _case_status
    if type_.startswith("Network"):
        what = type_[len("Network"):]
        known = what in _OWN_FIELDS or any(
            what in (f"{r}Defined", f"{r}Retired") for r in _RECORDS)
        # An unknown Network* type would reach NetworkView, which looks its records up.
        return _network(what) if known else _unknown_network(type_)
    if type_.startswith("Account"):
        return _account(type_[len("Account"):])
    if type_.startswith("Assignment"):
        return _assignment(type_[len("Assignment"):])
    return None


def _unknown_network(type_: str) -> Callable[[Data], None]:
    def check(_: Data) -> None:
        raise ValueError(f"no network event is called {type_}")
    return check

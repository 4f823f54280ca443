"""The one strict envelope decoder: what every consumer can apply passes, the rest says why."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from services.aggregator.synthetic import EnvelopeWriter
from services.common.envelope import EnvelopeRejected, decode

THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def weekly_report() -> dict[str, Any]:
    envelope = EnvelopeWriter().report("weekly", "kp-1", "cb-1", THURSDAY, period="2026-W48")
    decoded: dict[str, Any] = orjson.loads(envelope.encode())
    return decoded


def rejected(envelope: dict[str, Any]) -> str:
    with pytest.raises(EnvelopeRejected) as caught:
        decode(orjson.dumps(envelope))
    return caught.value.reason


def test_a_report_as_the_relay_publishes_it_decodes():
    envelope = weekly_report()
    assert decode(orjson.dumps(envelope)) == envelope


def test_a_report_without_data_is_refused_naming_what_it_lacks():
    assert rejected({**weekly_report(), "data": {}}) == \
        "ReportSubmitted data is malformed: lacks 'kind'"


def test_a_week_that_does_not_exist_is_refused():
    envelope = weekly_report()
    envelope["data"]["period"] = "2026-W99"
    assert "2026-W99" in rejected(envelope)


def test_a_period_of_another_cadence_is_refused():
    envelope = weekly_report()
    envelope["data"]["period"] = "2026-11"
    assert "weekly report needs an ISO week" in rejected(envelope)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("position", "10", "envelope field 'position' is malformed: '10'"),
    ("aggregate_id", "not-a-uuid", "envelope field 'aggregate_id' is malformed"),
    ("data", [], "envelope field 'data' is malformed: []"),
])
def test_an_envelope_field_of_the_wrong_shape_is_refused(field: str, value: object,
                                                         reason: str):
    assert rejected({**weekly_report(), field: value}).startswith(reason)


def test_not_json_and_another_version_are_refused():
    with pytest.raises(EnvelopeRejected, match="not JSON"):
        decode(b"{")
    assert rejected({**weekly_report(), "v": 2}) == "unsupported envelope version: 2"


def test_a_network_record_without_an_id_is_refused():
    envelope = {**weekly_report(), "type": "NetworkAreaDefined", "data": {"area": {}}}
    assert "'area' must be an object with an id" in rejected(envelope)


@pytest.mark.parametrize(("type_", "record", "reason"), [
    ("NetworkAreaDefined", {"area": {"id": "xa-ho"}}, "'name' must be text"),
    ("NetworkUnitDefined", {"unit": {"id": "u", "name": "U", "area_ids": "xa-ho"}},
     "'area_ids' must be a list of ids"),
    ("NetworkCadreDefined", {"cadre": {"id": "cb-1", "name": "A"}}, "'unit' must be text"),
    ("NetworkLevelDefined", {"level": {"id": "xa", "name": "Xã", "rank": "1"}},
     "'rank' must be a whole number"),
])
def test_a_network_record_the_view_cannot_read_is_refused_naming_the_field(
        type_: str, record: dict[str, Any], reason: str):
    # given a record that has an id but a field the network view's records cannot take
    envelope = {**weekly_report(), "type": type_, "data": record}
    # then the decoder turns it away (dead letter) instead of the view failing on it
    assert rejected(envelope) == f"{type_} data is malformed: {reason}"


def test_an_event_type_no_consumer_reads_passes_on_the_envelope_checks_alone():
    envelope = {**weekly_report(), "type": "CaseNoteAdded", "data": {"anything": 1}}
    assert decode(orjson.dumps(envelope))["type"] == "CaseNoteAdded"


def obligations_defined(records: object) -> dict[str, Any]:
    return {**weekly_report(), "type": "NetworkObligationsDefined",
            "data": {"obligations": records}}


def test_the_plans_obligations_decode():
    envelope = obligations_defined([
        {"kind": "weekly", "owner": "cadre", "due": "thursday 14:00"},
        {"kind": "urgent", "owner": "unit", "units": ["ccb-thi-xa"]},
    ])
    assert decode(orjson.dumps(envelope)) == envelope


@pytest.mark.parametrize(("records", "reason"), [
    ({"kind": "weekly"}, "'obligations' must be a list of obligations"),
    ([{"kind": "weekly", "owner": "cadre"}], "obligations[0]"),
    ([{"kind": "daily", "owner": "cadre", "due": "thursday"}], "'daily'"),
])
def test_obligations_no_engine_could_read_are_refused(records: object, reason: str):
    assert reason in rejected(obligations_defined(records))


@pytest.mark.parametrize("change", [
    {"event_id": "someone-else-1"},
    {"aggregate_version": 2},  # the id says version 1: a forged version or a replayed id
    {"aggregate_id": "00000000-0000-0000-0000-000000000000"},
])
def test_an_event_id_that_does_not_follow_from_its_aggregate_and_version_is_refused(
        change: dict[str, Any]):
    """The relay's id is `<aggregate id hex>-<version>` (wire.event_id), the stream's
    de-duplication key: an envelope that claims another is forged, whoever published it."""
    assert "event_id" in rejected({**weekly_report(), **change})

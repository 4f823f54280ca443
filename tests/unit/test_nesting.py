"""Deeply nested JSON and TOML are refused with a named error, never a RecursionError (500)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.errors import InvalidInput
from services.common.plan_file import PlanError, parse_plan
from services.common.strict_json import MAX_DEPTH, decode_object, loads_bounded
from services.intake.api import parse_json


@dataclass
class Request:
    name: str


DEEP = 30_000  # the 500: 60 KB, under the API's 64 KB


def test_json_deeper_than_the_limit_is_refused_by_the_api_parser():
    with pytest.raises(InvalidInput) as refused:
        parse_json(b"[" * DEEP + b"]" * DEEP)
    assert refused.value.status == 400 and refused.value.code == "too_deep"
    assert refused.value.field == "body"


def test_json_deeper_than_the_limit_is_refused_by_the_rpc_decoder():
    with pytest.raises(InvalidInput) as refused:
        decode_object(Request, b'{"name": ' + b"[" * DEEP + b"]" * DEEP + b"}")
    assert refused.value.code == "too_deep"


def test_json_at_the_limit_is_read_and_brackets_inside_strings_do_not_count():
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads_bounded(nested) is not None
    assert loads_bounded(b'{"a": "' + b"[" * DEEP + b'"}') == {"a": "[" * DEEP}
    assert loads_bounded(b'{"a": "\\"[[["}') == {"a": '"[[['}


@pytest.mark.parametrize("toml", [
    "a = " + "[" * DEEP + "]" * DEEP,
    "a = " + "{b = " * 5000 + "1" + "}" * 5000,
])
def test_a_plan_nested_too_deep_is_a_plan_error(toml: str):
    with pytest.raises(PlanError) as refused:
        parse_plan(toml)
    assert "nested" in str(refused.value)

"""Strict decoding of a JSON object into a request dataclass: nothing missing, mistyped or extra.

The field types a request may use are ``str``, ``dict[str, Any]`` (a JSON object), a
``Literal`` of strings and any of these ``| None``; a field with a default may be left out.
"""

from __future__ import annotations

import json
import re
import types
from dataclasses import MISSING, Field, fields
from typing import (
    Any,
    ClassVar,
    Literal,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from domain.errors import InvalidInput


class Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=Dataclass)

MAX_NAME = 64  # an unknown field's name is echoed back, so not at any length
# No request of ours nests past a few levels; the bound keeps the parser, and whatever walks
# its result, clear of Python's recursion limit (50,000 brackets answered 500 before).
MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep() -> InvalidInput:
    err = InvalidInput("too_deep", f"The body nests deeper than {MAX_DEPTH} levels",
                       f"Nội dung gửi lên lồng nhau quá {MAX_DEPTH} cấp", "body")
    err.status = 400
    return err


def loads_bounded(data: bytes | str) -> Any:
    """`json.loads`, refusing (InvalidInput `too_deep`, 400) anything nested past
    `MAX_DEPTH`; ValueError for what is not JSON, as `json.loads`."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:  # else it cannot be too deep
        depth = 0
        for match in _BRACKET.finditer(_STRING.sub(b"", raw)):
            depth += 1 if match[0] in b"[{" else -1
            if depth > MAX_DEPTH:
                raise too_deep()
    try:
        return json.loads(raw)
    except RecursionError:  # the scan above is the bound; this is the belt to its braces
        raise too_deep() from None


def _bad(field: str, en: str, vi: str, code: str = "invalid_field") -> InvalidInput:
    return InvalidInput(code, f"{field}: {en}", f"{field}: {vi}", field)


def not_an_object() -> InvalidInput:
    return InvalidInput("invalid_json", "The request must be a JSON object",
                        "Yêu cầu phải là một đối tượng JSON", "body")


def decode_object(cls: type[T], data: bytes) -> T:
    """`cls` built from the JSON object in `data`; InvalidInput names the first wrong field."""
    try:
        value = loads_bounded(data)
    except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        raise not_an_object() from None
    if not isinstance(value, dict):
        raise not_an_object()
    known: dict[str, Field[Any]] = {f.name: f for f in fields(cls)}
    for key in value:
        if key not in known:
            raise _bad(key[:MAX_NAME], "is not a field of this request",
                       "không phải trường của yêu cầu này", "unknown_field")
    hints = get_type_hints(cls)
    args: dict[str, Any] = {}
    for name, f in known.items():
        if name in value:
            args[name] = _checked(name, value[name], hints[name])
        elif f.default is MISSING and f.default_factory is MISSING:
            raise _bad(name, "is required", "là bắt buộc", "missing_field")
    return cls(**args)


def _checked(name: str, value: object, hint: Any) -> object:
    origin, options = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in options:
            return None
        [hint] = [o for o in options if o is not type(None)]
        origin, options = get_origin(hint), get_args(hint)
    if hint is str:
        if isinstance(value, str):
            return value
        raise _bad(name, "must be a string", "phải là chuỗi ký tự")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):  # JSON true is no count
            return value
        raise _bad(name, "must be a whole number", "phải là số nguyên")
    if origin is dict:
        if isinstance(value, dict):
            return value
        raise _bad(name, "must be a JSON object", "phải là một đối tượng JSON")
    if origin is Literal:
        return one_of(name, value, options)
    raise TypeError(f"{name}: a request field cannot be {hint!r}")


def one_of(name: str, value: object, options: tuple[str, ...]) -> str:
    """`value` if it is one of `options`, else InvalidInput naming `name`."""
    if isinstance(value, str) and value in options:
        return value
    allowed = ", ".join(options)
    raise _bad(name, f"must be one of {allowed}", f"phải là một trong {allowed}")

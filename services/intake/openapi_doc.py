"""The OpenAPI document tells every status an operation answers, by rules that follow the code:

the doors (`doors.py`) answer 408, 413 and 415 to any body; any operation may refuse input
(422) and, but for signing in, an unknown or expired token (401) and a caller who may not
(403); a path naming a thing answers 404 when it is unknown or not the caller's to see; a
write with an Idempotency-Key answers 409 to the key reused with another body; what asks the
aggregator or the notifier answers 503 while they do not answer; a stored write answers 507
when the disk is full. A new route under /api/v1 is covered by these rules without a word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "message_vi", "field"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "message_vi": {"type": "string"},
                       "field": {"type": ["string", "null"]}}}},
}
DESCRIPTIONS = {
    "400": "the body is not JSON, or nests too deeply",
    "401": "no token, or one no longer valid",
    "403": "the caller may not do this",
    "404": "not found, or not the caller's to see",
    "408": "the body did not arrive in time",
    "409": "the Idempotency-Key was used with another body, or the state forbids it",
    "413": "the body is larger than 64 KB",
    "415": "multipart bodies are not accepted",
    "422": "a field is missing or invalid (`field` names it)",
    "429": "too many failed attempts; Retry-After says when to try again",
    "503": "a service it asks did not answer; retry later",
    "507": "the server's disk is full; retry later",
}
# Operations that ask the aggregator or the notifier over NATS.
ASKS_SERVICES = ("/api/v1/alerts", "/api/v1/overdue", "/rollups/")
IDEMPOTENT_WRITES = ("/api/v1/reports", "/api/v1/cases/")
# Operations whose query names a thing (a unit) that may be unknown or out of sight.
NAMED_IN_QUERY = ("/api/v1/obligations", "/api/v1/unit-reports")


def statuses(path: str, method: str) -> list[str]:
    """The error statuses an /api/v1 operation answers, by the rules of the module."""
    if not path.startswith("/api/"):
        return []
    codes = ["422"]
    if path != "/api/v1/auth/token":
        codes += ["401", "403"]
    else:
        codes += ["401", "429"]
    if "{" in path or path in NAMED_IN_QUERY:
        codes.append("404")
    if method == "post":
        codes += ["400", "408", "413", "415"]
        if path.startswith(IDEMPOTENT_WRITES):
            codes += ["409", "507"]
    if any(part in path for part in ASKS_SERVICES):
        codes.append("503")
    return sorted(set(codes))


def document(app: FastAPI) -> None:
    """Replace the app's `openapi()` by one that adds the error answers to each operation."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in statuses(path, method):
                    responses.setdefault(code, {"description": DESCRIPTIONS[code]})
                    responses[code]["content"] = {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}
                if path == "/healthz":
                    responses.setdefault("503", {"description": "not every part is ready"})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

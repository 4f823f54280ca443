"""Domain errors that carry an English and a Vietnamese message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; `code` is machine-readable, the messages are for people."""

    status = 422

    def __init__(self, code: str, message: str, message_vi: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_vi = message_vi
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "message": self.message,
            "message_vi": self.message_vi,
            "field": self.field,
        }

    def headers(self) -> dict[str, str]:
        """HTTP headers every answer carrying this refusal sends, API or page."""
        return {}


class InvalidInput(DomainError):
    """A field is missing, malformed or out of bounds."""

    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    """The caller is known but may not do or see this."""

    status = 403


class Conflict(DomainError):
    status = 409


class Unauthenticated(DomainError):
    status = 401


class Unavailable(DomainError):
    """A service this answer needs is not answering (yet); trying again later may work."""

    status = 503


class Busy(Unavailable):
    """A write lost a race it may win on a second try: 503 with Retry-After, not a 409."""

    def __init__(self, message: str, message_vi: str, retry_after: int = 1):
        super().__init__("busy", message, message_vi)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class StorageFull(DomainError):
    """The disk (or database) has no room: nothing was written; retry once space returns."""

    status = 507

    def __init__(self, retry_after: int = 60):
        super().__init__("storage_full",
                         "The server's storage is full: nothing was saved; retry later",
                         "Máy chủ đã hết dung lượng lưu trữ nên chưa lưu được; "
                         "đồng chí vui lòng gửi lại sau")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Internal(DomainError):
    """Our fault, not the caller's: said in the same JSON shape as every refusal."""

    status = 500

    def __init__(self) -> None:
        super().__init__("internal_error", "The server failed to handle this request",
                         "Máy chủ gặp sự cố khi xử lý yêu cầu này; đồng chí vui lòng thử lại sau")

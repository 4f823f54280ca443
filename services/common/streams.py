"""JetStream stream declarations for tinhhinh, applied idempotently at startup."""

from __future__ import annotations

from typing import Final

from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import BadRequestError, NotFoundError

EVENTS_STREAM: Final = "TINHHINH_EVENTS"
EVENTS_SUBJECTS: Final = ("tinhhinh.events.>",)
ALERTS_STREAM: Final = "TINHHINH_ALERTS"
ALERTS_SUBJECTS: Final = ("tinhhinh.alerts.>",)

# Publishers retry with the same Nats-Msg-Id; a retry within this window is stored once.
DUPLICATE_WINDOW_SECONDS: Final = 600.0

# JetStream error code for "stream name already in use with a different configuration".
_STREAM_NAME_IN_USE: Final = 10058
_ATTEMPTS: Final = 5

# The fields we declare; the server fills in the rest (and adds its own metadata),
# so only these are compared to decide whether an update is needed.
_COMPARED_FIELDS: Final = (
    "subjects",
    "retention",
    "storage",
    "discard",
    "max_consumers",
    "max_msgs",
    "max_bytes",
    "max_age",
    "max_msg_size",
    "max_msgs_per_subject",
    "num_replicas",
    "duplicate_window",
)


def _stream_config(name: str, subjects: tuple[str, ...]) -> StreamConfig:
    # The event log is the system of record: never expire or cap it.
    return StreamConfig(
        name=name,
        subjects=list(subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_consumers=-1,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msg_size=-1,
        max_msgs_per_subject=-1,
        num_replicas=1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def stream_configs() -> list[StreamConfig]:
    """The streams tinhhinh needs, as they should be on the server."""
    return [
        _stream_config(EVENTS_STREAM, EVENTS_SUBJECTS),
        _stream_config(ALERTS_STREAM, ALERTS_SUBJECTS),
    ]


def _differs(actual: StreamConfig, wanted: StreamConfig) -> list[str]:
    return [f for f in _COMPARED_FIELDS if getattr(actual, f) != getattr(wanted, f)]


async def declare_stream(js: JetStreamContext, wanted: StreamConfig, *,
                         update: bool = True) -> StreamInfo:
    """Create the stream, or update it if its config differs; no-op if it matches."""
    name = wanted.name
    assert name is not None
    for _ in range(_ATTEMPTS):
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            try:
                # Creating with an identical config succeeds even if it exists.
                return await js.add_stream(wanted)
            except BadRequestError as exc:
                if exc.err_code != _STREAM_NAME_IN_USE:
                    raise
                # Another process created it first with other settings: update it.
                continue
        if not update or not _differs(info.config, wanted):
            return info
        return await js.update_stream(wanted)
    raise RuntimeError(f"stream {name}: gave up after {_ATTEMPTS} create/update races")


async def declare_streams(js: JetStreamContext, *, update: bool = True) -> None:
    """Make sure every tinhhinh stream exists with the configuration in this module. With
    `update` False (the aggregator and the notifier, whose NATS users may create a missing
    stream but not change one: services/common/nats_auth.py), an existing stream is left as
    it is; the intake brings it to this configuration."""
    for config in stream_configs():
        await declare_stream(js, config, update=update)

"""The aggregator's and the notifier's consumers as Prometheus gauges on the intake's /metrics.

They run in their own processes and answer health over NATS request/reply; a scrape
asks each (briefly: a hung service must not hang the scrape) and sets the gauges.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from prometheus_client import Gauge

from domain.errors import DomainError

_ASK_SECONDS = 2.0
_LABELS = ("consumer",)

UP = Gauge("tinhhinh_consumer_up", "1 if the consumer answered its health request", _LABELS)
_GAUGES = {
    "lag": Gauge("tinhhinh_consumer_lag", "Stream messages not yet applied", _LABELS),
    "dead_letters": Gauge("tinhhinh_consumer_dead_letters",
                          "Envelopes refused by the strict decoder and kept as dead letters",
                          _LABELS),
    "failures": Gauge("tinhhinh_consumer_failures",
                      "Failures to apply a message since the consumer started", _LABELS),
    "stuck_seconds": Gauge("tinhhinh_consumer_stuck_seconds",
                           "How long the consumer has been failing without progress", _LABELS),
}


class Probe(Protocol):
    async def health(self) -> dict[str, Any]: ...


async def _ask(probe: Probe) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(_ASK_SECONDS):
            return await probe.health()
    except (DomainError, TimeoutError):
        return None


async def refresh(probes: Mapping[str, Probe | None]) -> None:
    """Set every gauge from the consumers' health; a consumer that does not answer is down."""
    present = {name: probe for name, probe in probes.items() if probe is not None}
    answers = await asyncio.gather(*(_ask(probe) for probe in present.values()))
    for name, health in zip(present, answers, strict=True):
        UP.labels(name).set(0 if health is None else 1)
        if health is None:
            continue
        for key, gauge in _GAUGES.items():
            value = health.get(key)
            if isinstance(value, int | float):
                gauge.labels(name).set(value)

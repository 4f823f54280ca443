"""Which (cadre, area) pairs owe a report: the assignments active at its deadline.

One rule for the aggregator's completeness and the notifier's overdue sweep, as the
obligation engine's `OrgChart.active_at` applies it for the web and the API
(docs/aggregator.md, "Expected reports"): half-open, so an assignment that starts
at the deadline owes the report and one that ends at it does not. Services pass in the
assignments they hold; the rule needs only each one's span.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from domain.assignment import covers


class Span(Protocol):
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime | None: ...


S = TypeVar("S", bound=Span)


def expected_at(deadline: datetime, assignments: Iterable[S]) -> list[S]:
    """The assignments that owe a report due at `deadline`."""
    return [a for a in assignments if covers(a.valid_from, a.valid_until, deadline)]


"""Aggregator: projects the event stream into rollups per unit and period, and reports on them."""

from services.aggregator.scope import may_read_rollup

__all__ = ["may_read_rollup"]

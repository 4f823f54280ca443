"""Aggregator: projects the event stream into rollups per unit and period, and reports on them."""

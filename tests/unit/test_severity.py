"""The one severity order: what cases, escalation and the aggregator's hot-spot ranks follow."""

from __future__ import annotations

from domain.severity import SEVERITY_VI, Severity, rank


def test_severities_rank_from_low_to_urgent():
    assert [rank(s) for s in ("low", "medium", "high", "urgent")] == [1, 2, 3, 4]


def test_an_unknown_severity_ranks_below_every_known_one():
    assert rank("catastrophic") == 0 and rank("") == 0


def test_each_severity_is_the_text_reports_carry_and_has_a_vietnamese_name():
    assert [str(s) for s in Severity] == ["low", "medium", "high", "urgent"]
    assert SEVERITY_VI["high"] == "cao" and set(SEVERITY_VI) == set(Severity)

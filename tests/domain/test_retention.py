"""The disposal due date (a date plus a retention period, on the calendar) and where a share stands on a date:
on time, late, overdue or pending, at the boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.domain.retention import Disposed, Share, add_period, ledger, standing

d = dt.date.fromisoformat


@pytest.mark.parametrize(("start", "period", "due"), [
    ("2024-02-29", "P1Y", "2025-02-28"),  # no 29 February in 2025: the last day of the month
    ("2024-02-29", "P4Y", "2028-02-29"),  # a leap year again: the day is kept
    ("2024-02-29", "P3Y", "2027-02-28"),
    ("2023-02-28", "P1Y", "2024-02-28"),  # not the last day of February 2024 (29): the day is kept
    ("2024-01-31", "P1M", "2024-02-29"),
    ("2023-01-31", "P1M", "2023-02-28"),
    ("2024-03-31", "P1M", "2024-04-30"),
    ("2024-12-15", "P1M", "2025-01-15"),  # across the year's end
    ("2024-08-31", "P1Y6M", "2026-02-28"),
    ("2024-01-31", "P1M1D", "2024-03-01"),  # months first, then days (XML Schema's order)
    ("2024-12-25", "P2W", "2025-01-08"),
    ("2024-02-28", "P1D", "2024-02-29"),
    ("2024-06-01", "P0D", "2024-06-01"),
    ("2024-06-01", "PT36H", "2024-06-02"),  # a time part counts in whole days
    ("2024-06-01", "PT23H59M59.9S", "2024-06-01"),
    ("2024-06-01", "P1DT24H", "2024-06-03"),
])
def test_the_due_date_is_calendar_exact(start: str, period: str, due: str) -> None:
    assert add_period(d(start), period) == d(due)


@pytest.mark.parametrize("period", ["P99999Y", "P1200000M", f"P{10**30}D", "3 years", "P", "PT", "P1Y2", "-P1Y", ""])
def test_a_period_past_the_calendar_or_no_period_gives_no_date(period: str) -> None:
    assert add_period(d("2024-06-01"), period) is None


SHARE = Share("dsa", d("2024-02-29"), frozenset({"a", "b"}), add_period(d("2024-02-29"), "P1Y"), ("sc-1",))


def disposed(on: str, *datasets: str, agreement: str = "dsa") -> Disposed:
    return Disposed(agreement, d(on), frozenset(datasets or ("a", "b")))


def test_due_is_the_date_plus_the_period() -> None:
    assert SHARE.due == d("2025-02-28")


def test_a_disposal_on_the_due_date_is_on_time_and_the_day_after_late() -> None:
    on_time = standing(SHARE, [disposed("2025-02-28")], d("2025-06-01"))
    assert (on_time.status, on_time.disposed_on, on_time.days) == ("on_time", d("2025-02-28"), None)
    late = standing(SHARE, [disposed("2025-03-01")], d("2025-06-01"))
    assert (late.status, late.disposed_on, late.days) == ("late", d("2025-03-01"), 1)


def test_overdue_only_once_the_due_date_is_before_the_day_asked() -> None:
    assert standing(SHARE, [], d("2025-02-28")).status == "pending"  # due today: not overdue yet
    s = standing(SHARE, [], d("2025-03-01"))
    assert (s.status, s.days, s.outstanding) == ("overdue", 1, ("a", "b"))
    assert standing(SHARE, [], d("2026-02-28")).days == 365


def test_a_disposal_after_the_day_asked_does_not_count_yet() -> None:
    later = [disposed("2025-04-01")]
    assert standing(SHARE, later, d("2025-03-15")).status == "overdue"
    assert standing(SHARE, later, d("2025-04-01")).status == "late"


def test_a_disposal_before_the_share_does_not_dispose_of_it() -> None:
    s = standing(SHARE, [disposed("2024-02-28")], d("2025-06-01"))
    assert (s.status, s.outstanding) == ("overdue", ("a", "b"))


def test_every_dataset_must_be_disposed_of() -> None:
    partly = standing(SHARE, [disposed("2024-12-01", "a")], d("2025-06-01"))
    assert (partly.status, partly.outstanding) == ("overdue", ("b",))
    assert standing(SHARE, [disposed("2024-12-01", "a")], d("2025-01-01")).status == "pending"
    # the last of its datasets decides: one on time, the other late makes the share late
    both = standing(SHARE, [disposed("2024-12-01", "a"), disposed("2025-03-02", "b")], d("2025-06-01"))
    assert (both.status, both.disposed_on, both.days) == ("late", d("2025-03-02"), 2)


def test_the_earliest_disposal_of_a_dataset_counts() -> None:
    s = standing(SHARE, [disposed("2025-05-01"), disposed("2025-01-01")], d("2025-06-01"))
    assert (s.status, s.disposed_on) == ("on_time", d("2025-01-01"))


def test_only_disposals_under_the_shares_agreement_count() -> None:
    assert standing(SHARE, [disposed("2025-01-01", agreement="other")], d("2025-06-01")).status == "overdue"


def test_a_share_without_a_due_date_is_never_overdue() -> None:
    endless = Share("dsa", d("2024-02-29"), frozenset({"a"}), None)
    assert standing(endless, [], d("9999-12-31")).status == "pending"
    assert standing(endless, [disposed("2030-01-01", "a")], d("9999-12-31")).status == "on_time"


def test_the_ledger_leaves_out_shares_after_the_day_asked() -> None:
    later = Share("dsa", d("2025-01-01"), frozenset({"a"}), d("2025-02-01"))
    assert [s.share for s in ledger([SHARE, later], [], d("2024-12-31"))] == [SHARE]
    assert ledger([SHARE, later], [], d("2024-02-28")) == []  # the day before the share: nothing yet
    statuses = [s.status for s in ledger([SHARE, later], [disposed("2025-01-15", "a")], d("2025-03-01"))]
    assert statuses == ["overdue", "on_time"]

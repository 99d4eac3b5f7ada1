"""The retention and disposal ledger as pure functions: the disposal due date of a share (its date plus the
agreement's retention period, calendar-exact) and where each share stands on a date (disposed on time,
late, overdue, or not yet due)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from registry.domain.model.common import DURATION_RE

Status = Literal["on_time", "late", "overdue", "pending"]


def add_period(start: dt.date, period: str) -> dt.date | None:
    """`start` plus an ISO 8601 duration, as XML Schema adds a duration to a date (its appendix E): years and
    months first, on the calendar, the day kept or, past the end of the shorter month, its last day
    (2024-02-29 + P1Y is 2025-02-28, 2024-01-31 + P1M is 2024-02-29); then weeks and days; a time part counts
    in whole days only (PT36H is one day). None for a text that is no such duration, or a date past the
    calendar's end (a retention of P99999Y is never due)."""
    m = DURATION_RE.fullmatch(period)
    if m is None:
        return None
    years, months, weeks, days, _t, hours, minutes, seconds, _fraction = m.groups()

    def n(part: str | None) -> int:
        return int(part[:-1]) if part else 0

    total_months = start.month - 1 + n(months) + 12 * n(years)
    year, month = start.year + total_months // 12, total_months % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    day = min(start.day, calendar.monthrange(year, month)[1])
    secs = Decimal(seconds[:-1]) if seconds else Decimal(0)
    whole_days = 7 * n(weeks) + n(days) + int((n(hours) * 3600 + n(minutes) * 60 + secs) // 86400)
    try:
        return dt.date(year, month, day) + dt.timedelta(days=whole_days)
    except OverflowError:
        return None


@dataclass(frozen=True)
class Share:
    """Datasets shared under an agreement on a date (one or more recorded share checks), and when the
    recipient must have disposed of them (None: the retention period gives no date)."""

    agreement: str
    date: dt.date
    datasets: frozenset[str]
    due: dt.date | None
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disposed:
    """A recorded disposal: datasets of an agreement disposed of on a date."""

    agreement: str
    date: dt.date
    datasets: frozenset[str]


@dataclass(frozen=True)
class Standing:
    """Where a share stands on a date. `outstanding`: its datasets no disposal on or after the share and on
    or before the date covers; `disposed_on`: when the last of them was disposed of (all disposed); `days`:
    days overdue (status overdue) or late (status late)."""

    share: Share
    status: Status
    outstanding: tuple[str, ...] = ()
    disposed_on: dt.date | None = None
    days: int | None = None


def standing(share: Share, disposals: Iterable[Disposed], as_of: dt.date) -> Standing:
    """Where `share` stands on `as_of`, given the disposals of its agreement. A disposal counts for a dataset
    when it names the dataset, is dated on or after the share (data is not disposed of before it is
    received) and on or before `as_of`; the earliest such disposal disposes of it. All datasets disposed:
    on time when the last disposal is on or before the due date, late after it. Otherwise overdue once
    the due date is before `as_of` (a disposal on the due date is on time; the day after, late), else
    pending."""
    first: dict[str, dt.date] = {}
    for d in disposals:
        if d.agreement != share.agreement or not share.date <= d.date <= as_of:
            continue
        for ds in d.datasets & share.datasets:
            if ds not in first or d.date < first[ds]:
                first[ds] = d.date
    outstanding = tuple(sorted(share.datasets - set(first)))
    if not outstanding:
        last = max(first.values())
        if share.due is not None and last > share.due:
            return Standing(share, "late", disposed_on=last, days=(last - share.due).days)
        return Standing(share, "on_time", disposed_on=last)
    if share.due is not None and share.due < as_of:
        return Standing(share, "overdue", outstanding, days=(as_of - share.due).days)
    return Standing(share, "pending", outstanding)


def ledger(shares: Iterable[Share], disposals: Sequence[Disposed], as_of: dt.date) -> list[Standing]:
    """Where each share dated on or before `as_of` stands on that date (`standing`)."""
    by_agreement: dict[str, list[Disposed]] = {}
    for d in disposals:
        by_agreement.setdefault(d.agreement, []).append(d)
    return [standing(s, by_agreement.get(s.agreement, []), as_of) for s in shares if s.date <= as_of]

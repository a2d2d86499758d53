"""Working days (工作日) and months: the units of the incubation base's deadlines.

A reply to an application is due within 5 working days; a graduate hands its space back within 15.
Only Saturdays and Sundays are skipped: public holidays and their make-up working days (调休) change
every year by State Council notice, so a date that falls in a holiday week is a few days early,
never late — the safe side for the organisation waiting on the base.
"""

from __future__ import annotations

from datetime import date, timedelta

SATURDAY = 5


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    An application made on a Friday with 5 working days to answer is due the next Friday; one made
    on a Saturday is due the Friday after (the weekend does not count).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the month's last day where it has fewer."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th

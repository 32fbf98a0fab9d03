"""Business-hours clock arithmetic (helpdesk.sla): worked examples first, then properties that must hold for any
start, target and pause on a fixed set of calendars, including zones changing their clocks."""

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.sla import (
    MAX_EXPLAINED_WINDOWS,
    MIDNIGHT,
    Calendar,
    add_business_time,
    business_seconds,
    holidays_between,
    resume_due,
    warn_at,
    windows_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
HOUR = 3600
WEEKDAYS = range(5)
EVERY_DAY = range(7)


def hours(days, *windows):
    """Business hours with the same windows on each of `days`; windows as (start_hour, end_hour), 24 = midnight."""
    return {day: tuple((_clock(start), _clock(end)) for start, end in windows) for day in days}


def _clock(hour):
    return MIDNIGHT if hour == 24 else time(int(hour), round(hour % 1 * 60))


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


OFFICE_HOLIDAYS = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 6, 4),
        date(2026, 10, 3),  # a Saturday: listed, changes nothing
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 12, 24),
    }
)
# Berlin office, 9-17 Monday to Friday, with holidays.
OFFICE = Calendar("Europe/Berlin", hours(WEEKDAYS, (9, 17)), OFFICE_HOLIDAYS)
# New York, two windows a day with a lunch break, and Saturday mornings.
SPLIT = Calendar("America/New_York", hours(WEEKDAYS, (8, 12), (13, 17)) | hours([5], (10, 14)))
# Night shifts that cover the hour the clocks change, every day, and evenings up to midnight.
NIGHTS = Calendar("Europe/Berlin", hours(EVERY_DAY, (1, 4), (22, 24)))
NIGHTS_NEW_YORK = Calendar("America/New_York", hours(EVERY_DAY, (1, 4)))
# Open round the clock but not marked 24x7: must come out the same as 24x7.
ROUND_THE_CLOCK = Calendar("Europe/Berlin", hours(EVERY_DAY, (0, 24)))
# Santiago changes its clocks at midnight; windows touch midnight on both sides.
CHILE = Calendar("America/Santiago", hours(EVERY_DAY, (0, 1), (20, 24)))
# Lord Howe Island moves its clocks by half an hour.
LORD_HOWE = Calendar("Australia/Lord_Howe", hours(EVERY_DAY, (1, 3)) | hours(WEEKDAYS, (1, 3), (9, 17)))
ALWAYS = Calendar.always("Europe/Berlin")

CALENDARS = [OFFICE, SPLIT, NIGHTS, NIGHTS_NEW_YORK, ROUND_THE_CLOCK, CHILE, LORD_HOWE, ALWAYS]


# Worked examples: the Berlin office (June 2026 is summer time, +02:00; 1 June is a Monday)


def test_a_ticket_in_business_hours_is_due_the_same_day():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 10), 2 * HOUR) == berlin(2026, 6, 1, 12)


def test_the_answer_is_in_utc():
    due = add_business_time(OFFICE, berlin(2026, 6, 1, 10), 2 * HOUR)
    assert due.tzinfo is UTC
    assert due == utc(2026, 6, 1, 10)


def test_a_ticket_created_before_opening_starts_counting_at_opening():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 7, 30), HOUR) == berlin(2026, 6, 1, 10)


def test_a_ticket_created_after_closing_starts_counting_the_next_morning():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 18), HOUR) == berlin(2026, 6, 2, 10)


def test_a_ticket_created_on_a_saturday_starts_counting_on_monday():
    assert add_business_time(OFFICE, berlin(2026, 6, 6, 11), HOUR) == berlin(2026, 6, 8, 10)


def test_a_ticket_created_on_a_holiday_starts_counting_the_next_business_day():
    # Thursday 4 June is a holiday.
    assert add_business_time(OFFICE, berlin(2026, 6, 4, 10), HOUR) == berlin(2026, 6, 5, 10)


def test_a_holiday_in_between_is_skipped():
    assert add_business_time(OFFICE, berlin(2026, 6, 3, 16), 2 * HOUR) == berlin(2026, 6, 5, 10)
    assert business_seconds(OFFICE, berlin(2026, 6, 3, 9), berlin(2026, 6, 5, 17)) == 16 * HOUR


def test_christmas_holidays_and_a_weekend_are_skipped():
    # 1 h on the 23rd; the 24th and 25th are holidays, then a weekend; 8 h on the 28th, 7 h on the 29th.
    due = add_business_time(OFFICE, berlin(2026, 12, 23, 16), 16 * HOUR)
    assert due == berlin(2026, 12, 29, 16)
    assert holidays_between(OFFICE, berlin(2026, 12, 23, 16), due) == [date(2026, 12, 24), date(2026, 12, 25)]


def test_the_weekend_does_not_count():
    assert add_business_time(OFFICE, berlin(2026, 6, 5, 16), HOUR) == berlin(2026, 6, 5, 17)
    assert add_business_time(OFFICE, berlin(2026, 6, 5, 16), 2 * HOUR) == berlin(2026, 6, 8, 10)
    assert business_seconds(OFFICE, berlin(2026, 6, 5, 16), berlin(2026, 6, 8, 10)) == 2 * HOUR


def test_a_target_used_up_at_closing_time_is_due_at_closing_not_at_the_next_opening():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 16), HOUR) == berlin(2026, 6, 1, 17)
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 9), 8 * HOUR) == berlin(2026, 6, 1, 17)


def test_starting_exactly_at_opening():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 9), 0) == berlin(2026, 6, 1, 9)
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 9), HOUR) == berlin(2026, 6, 1, 10)


def test_starting_exactly_at_closing_counts_from_the_next_opening():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 17), 0) == berlin(2026, 6, 2, 9)
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 17), HOUR) == berlin(2026, 6, 2, 10)
    assert business_seconds(OFFICE, berlin(2026, 6, 1, 17), berlin(2026, 6, 2, 9)) == 0.0


def test_zero_seconds_is_the_next_business_moment_or_start_itself():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 12, 34, 56), 0) == berlin(2026, 6, 1, 12, 34, 56)
    assert add_business_time(OFFICE, berlin(2026, 6, 6, 12), 0) == berlin(2026, 6, 8, 9)


def test_fractions_of_a_second_count():
    assert add_business_time(OFFICE, berlin(2026, 6, 1, 16, 59, 59), 1.5) == berlin(2026, 6, 2, 9, 0, 0, 500000)
    assert business_seconds(OFFICE, berlin(2026, 6, 1, 9), berlin(2026, 6, 1, 9, 0, 0, 250)) == 0.00025


def test_business_seconds_is_zero_when_end_is_not_after_start():
    assert business_seconds(OFFICE, berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 12)) == 0.0
    assert business_seconds(OFFICE, berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 11)) == 0.0


def test_moments_in_any_zone_are_accepted():
    start_in_new_york = new_york(2026, 6, 1, 4)  # 10:00 in Berlin
    assert add_business_time(OFFICE, start_in_new_york, HOUR) == berlin(2026, 6, 1, 11)


def test_whole_weeks_of_business_time_end_on_friday_at_closing():
    # Created on a Sunday: exactly one and two weeks' worth of 9-17 are used up at Friday's closing, not at the
    # opening of the week after.
    assert add_business_time(OFFICE, berlin(2026, 6, 7, 12), 40 * HOUR) == berlin(2026, 6, 12, 17)
    assert add_business_time(OFFICE, berlin(2026, 6, 7, 12), 80 * HOUR) == berlin(2026, 6, 19, 17)
    assert business_seconds(OFFICE, berlin(2026, 6, 7, 12), berlin(2026, 6, 21, 12)) == 80 * HOUR


def test_a_long_target_is_the_same_as_adding_it_a_day_at_a_time():
    start = berlin(2026, 1, 5, 9)
    due = start
    for _ in range(60):
        due = add_business_time(OFFICE, due, 8 * HOUR)
    assert add_business_time(OFFICE, start, 60 * 8 * HOUR) == due
    assert business_seconds(OFFICE, start, due) == 60 * 8 * HOUR


# Several windows a day, and windows up to midnight


def test_the_lunch_break_does_not_count():
    assert add_business_time(SPLIT, new_york(2026, 6, 1, 11), 2 * HOUR) == new_york(2026, 6, 1, 14)
    assert business_seconds(SPLIT, new_york(2026, 6, 1, 11), new_york(2026, 6, 1, 14)) == 2 * HOUR


def test_a_target_used_up_at_the_start_of_lunch_is_due_then():
    assert add_business_time(SPLIT, new_york(2026, 6, 1, 11), HOUR) == new_york(2026, 6, 1, 12)


def test_a_ticket_created_during_lunch_starts_counting_after_lunch():
    assert add_business_time(SPLIT, new_york(2026, 6, 1, 12, 30), 30 * 60) == new_york(2026, 6, 1, 13, 30)


def test_saturday_hours_count_on_a_calendar_with_them():
    assert add_business_time(SPLIT, new_york(2026, 6, 5, 16), 2 * HOUR) == new_york(2026, 6, 6, 11)


def test_a_window_ending_at_midnight_runs_into_the_next_days_window():
    calendar = Calendar("Europe/Berlin", {0: ((time(22), MIDNIGHT),), 1: ((MIDNIGHT, time(6)),)})
    assert add_business_time(calendar, berlin(2026, 6, 1, 23), 2 * HOUR) == berlin(2026, 6, 2, 1)
    assert windows_between(calendar, berlin(2026, 6, 1, 21), berlin(2026, 6, 2, 7)) == [
        (berlin(2026, 6, 1, 22), berlin(2026, 6, 2, 6))
    ]


def test_a_target_used_up_at_midnight_is_due_at_midnight():
    calendar = Calendar("Europe/Berlin", {4: ((time(18), MIDNIGHT),)})
    assert add_business_time(calendar, berlin(2026, 6, 5, 23), HOUR) == berlin(2026, 6, 6, 0)
    assert add_business_time(calendar, berlin(2026, 6, 5, 23), HOUR + 1) == berlin(2026, 6, 12, 18, 0, 1)


# Clock changes. Berlin: 29 March 2026 02:00 -> 03:00, 25 October 03:00 -> 02:00.
# New York: 8 March 2026 02:00 -> 03:00, 1 November 02:00 -> 01:00. All four are Sundays.


@pytest.mark.parametrize(
    ("calendar", "day", "expected_window"),
    [
        (NIGHTS, date(2026, 3, 29), (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))),
        (NIGHTS, date(2026, 10, 25), (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))),
        (NIGHTS_NEW_YORK, date(2026, 3, 8), (utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))),
        (NIGHTS_NEW_YORK, date(2026, 11, 1), (utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))),
    ],
    ids=["berlin-spring", "berlin-autumn", "new-york-spring", "new-york-autumn"],
)
def test_a_night_window_across_a_clock_change_counts_real_seconds(calendar, day, expected_window):
    # 01:00-04:00 lasts 2 real hours when clocks spring forward, 4 when they fall back.
    zone = ZoneInfo(calendar.time_zone)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    morning = midnight.replace(hour=6)
    window_start, window_end = expected_window
    assert windows_between(calendar, midnight, morning) == [expected_window]
    assert business_seconds(calendar, midnight, morning) == (window_end - window_start).total_seconds()
    assert add_business_time(calendar, midnight, 0) == window_start
    assert add_business_time(calendar, midnight, (window_end - window_start).total_seconds()) == window_end


def test_the_hours_of_a_night_with_a_clock_change():
    assert business_seconds(NIGHTS, berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 12)) == 2 * HOUR
    assert business_seconds(NIGHTS, berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 12)) == 4 * HOUR
    assert business_seconds(NIGHTS_NEW_YORK, new_york(2026, 3, 8), new_york(2026, 3, 8, 12)) == 2 * HOUR
    assert business_seconds(NIGHTS_NEW_YORK, new_york(2026, 11, 1), new_york(2026, 11, 1, 12)) == 4 * HOUR


def test_a_target_running_through_the_spring_forward_night():
    # 22:00-24:00 on Saturday (2 h), then one real hour from 01:00 winter time: 03:00 summer time.
    due = add_business_time(NIGHTS, berlin(2026, 3, 28, 22), 3 * HOUR)
    assert due == utc(2026, 3, 29, 1)
    assert due == berlin(2026, 3, 29, 3)


def test_a_target_running_through_the_fall_back_night():
    # 01:00 summer time is 23:00 UTC; four real hours later it is 04:00 winter time.
    due = add_business_time(NIGHTS, berlin(2026, 10, 25, 0, 30), 4 * HOUR)
    assert due == utc(2026, 10, 25, 3)
    assert due == berlin(2026, 10, 25, 4)


def test_office_hours_are_untouched_by_a_clock_change_on_the_weekend():
    assert business_seconds(OFFICE, berlin(2026, 3, 27, 16), berlin(2026, 3, 30, 10)) == 2 * HOUR
    assert add_business_time(OFFICE, berlin(2026, 3, 27, 16), 2 * HOUR) == berlin(2026, 3, 30, 10)
    assert add_business_time(OFFICE, new_york(2026, 10, 30, 11), 2 * HOUR) == berlin(2026, 11, 2, 10)


def test_a_day_open_round_the_clock_is_23_hours_in_spring_and_25_in_autumn():
    assert business_seconds(ROUND_THE_CLOCK, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 23 * HOUR
    assert business_seconds(ROUND_THE_CLOCK, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 25 * HOUR
    assert add_business_time(ROUND_THE_CLOCK, berlin(2026, 3, 28, 12), 24 * HOUR) == berlin(2026, 3, 29, 13)


def test_a_window_opening_in_the_skipped_hour_opens_when_the_clocks_jump():
    calendar = Calendar("Europe/Berlin", hours([6], (2.5, 5)))
    # 02:30 does not exist on 29 March: the window opens at the jump, 03:00 summer time (01:00 UTC).
    assert windows_between(calendar, berlin(2026, 3, 29), berlin(2026, 3, 29, 12)) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 3))
    ]


def test_a_window_closing_in_the_skipped_hour_closes_when_the_clocks_jump():
    calendar = Calendar("Europe/Berlin", hours([6], (0, 2.5)))
    assert windows_between(calendar, berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12)) == [
        (utc(2026, 3, 28, 23), utc(2026, 3, 29, 1))
    ]


def test_a_window_entirely_in_the_skipped_hour_does_not_happen():
    calendar = Calendar("Europe/Berlin", hours([6], (2.25, 2.75)))
    assert business_seconds(calendar, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 0.0
    assert add_business_time(calendar, berlin(2026, 3, 28), 60) == berlin(2026, 4, 5, 2, 16)


def test_a_window_opening_in_the_repeated_hour_opens_the_first_time():
    calendar = Calendar("Europe/Berlin", hours([6], (2.5, 5)))
    # 02:30 happens twice on 25 October: the first, in summer time (00:30 UTC), counts.
    assert windows_between(calendar, berlin(2026, 10, 25), berlin(2026, 10, 25, 12)) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 4))
    ]


def test_a_window_closing_in_the_repeated_hour_closes_the_first_time():
    calendar = Calendar("America/New_York", hours([6], (0, 1.5)))
    assert business_seconds(calendar, new_york(2026, 11, 1), new_york(2026, 11, 1, 12)) == 1.5 * HOUR


def test_santiago_jumps_over_midnight_in_spring():
    # On Sunday 6 September 2026 Santiago goes from Saturday 24:00 straight to 01:00: Sunday's 00:00-01:00
    # never happens, and Saturday's 20:00-24:00 ends at the jump (04:00 UTC).
    assert windows_between(CHILE, utc(2026, 9, 5, 12), utc(2026, 9, 6, 12)) == [
        (utc(2026, 9, 6, 0), utc(2026, 9, 6, 4))
    ]


def test_santiago_repeats_the_hour_before_midnight_in_autumn():
    # On 5 April 2026 Santiago goes back from 24:00 to Saturday 23:00: Saturday's 20:00-24:00 lasts 5 hours,
    # then Sunday 00:00-01:00 follows it at once.
    assert windows_between(CHILE, utc(2026, 4, 4, 12), utc(2026, 4, 5, 12)) == [
        (utc(2026, 4, 4, 23), utc(2026, 4, 5, 5))
    ]


# 24x7


def test_a_24x7_calendar_is_plain_time_arithmetic_across_clock_changes():
    start = berlin(2026, 3, 28, 12)
    assert add_business_time(ALWAYS, start, 36 * HOUR) == start.astimezone(UTC) + timedelta(hours=36)
    assert business_seconds(ALWAYS, start, berlin(2026, 3, 29, 12)) == 23 * HOUR
    assert add_business_time(ALWAYS, start, 0) == start


def test_a_24x7_calendar_ignores_hours_and_holidays():
    calendar = Calendar("Europe/Berlin", hours(WEEKDAYS, (9, 17)), frozenset({date(2026, 6, 1)}), always_open=True)
    assert add_business_time(calendar, berlin(2026, 6, 1, 0), 10 * HOUR) == berlin(2026, 6, 1, 10)
    assert holidays_between(calendar, berlin(2026, 5, 31), berlin(2026, 6, 2)) == []


# Pauses


def test_a_paused_clock_resumes_with_the_time_that_was_left():
    # Paused at 10:00 with 2 h left, resumed the next morning at 09:30.
    due = resume_due(OFFICE, berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 10), berlin(2026, 6, 2, 9, 30))
    assert due == berlin(2026, 6, 2, 11, 30)


def test_a_short_pause_moves_the_due_time_by_its_length():
    due = resume_due(OFFICE, berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 10), berlin(2026, 6, 1, 10, 10))
    assert due == berlin(2026, 6, 1, 12, 10)


def test_a_pause_outside_business_hours_changes_nothing():
    due = berlin(2026, 6, 8, 12)
    assert resume_due(OFFICE, due, berlin(2026, 6, 6, 10), berlin(2026, 6, 7, 20)) == due


def test_a_clock_paused_after_it_was_due_stays_breached():
    due = berlin(2026, 6, 1, 12)
    assert resume_due(OFFICE, due, berlin(2026, 6, 1, 13), berlin(2026, 6, 3, 9)) == due
    assert resume_due(OFFICE, due, due, berlin(2026, 6, 3, 9)) == due


def test_a_due_time_set_by_hand_outside_business_hours_never_moves_earlier():
    due = berlin(2026, 6, 1, 20)
    assert resume_due(OFFICE, due, berlin(2026, 6, 1, 16), berlin(2026, 6, 1, 16)) == due
    assert resume_due(OFFICE, due, berlin(2026, 6, 1, 16), berlin(2026, 6, 1, 16, 30)) == berlin(2026, 6, 2, 9, 30)


# Warnings


def test_the_warning_comes_when_the_percentage_of_the_target_is_used():
    start, due = berlin(2026, 6, 1, 9), berlin(2026, 6, 1, 17)
    assert warn_at(OFFICE, start, 8 * HOUR, due, 75) == berlin(2026, 6, 1, 15)
    assert warn_at(OFFICE, start, 8 * HOUR, due, 0) == start
    assert warn_at(OFFICE, start, 8 * HOUR, due, 100) == due


def test_the_warning_skips_the_night():
    start = berlin(2026, 6, 1, 15)
    due = add_business_time(OFFICE, start, 8 * HOUR)
    assert due == berlin(2026, 6, 2, 15)
    assert warn_at(OFFICE, start, 8 * HOUR, due, 50) == berlin(2026, 6, 2, 11)


def test_after_a_pause_the_warning_counts_from_the_resume():
    # An 8 h target; the clock resumed with 6 h left: 75 % is used when 2 h are left.
    resumed = berlin(2026, 6, 2, 9)
    due = berlin(2026, 6, 2, 15)
    assert warn_at(OFFICE, resumed, 8 * HOUR, due, 75) == berlin(2026, 6, 2, 13)


def test_a_clock_resumed_with_less_than_the_warning_left_warns_at_once():
    resumed = berlin(2026, 6, 6, 10)  # a Saturday
    due = berlin(2026, 6, 8, 10)  # 1 h of the 8 h target left
    assert warn_at(OFFICE, resumed, 8 * HOUR, due, 75) == resumed
    assert warn_at(OFFICE, resumed, 8 * HOUR, berlin(2026, 6, 1, 10), 75) == resumed  # already past due


# Explanations


def test_holidays_between_lists_the_holidays_in_order():
    assert holidays_between(OFFICE, berlin(2026, 3, 30), berlin(2026, 6, 30)) == [
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 6, 4),
    ]


def test_holidays_between_counts_local_days_that_overlap_the_time():
    # The holiday 4 June runs from 3 June 22:00 UTC to 4 June 22:00 UTC.
    assert holidays_between(OFFICE, utc(2026, 6, 3, 12), utc(2026, 6, 3, 22)) == []
    assert holidays_between(OFFICE, utc(2026, 6, 3, 12), utc(2026, 6, 3, 22, 0, 1)) == [date(2026, 6, 4)]
    assert holidays_between(OFFICE, utc(2026, 6, 4, 22), utc(2026, 6, 5, 12)) == []
    assert holidays_between(OFFICE, utc(2026, 6, 5, 12), utc(2026, 6, 1, 12)) == []


def test_holidays_between_lists_a_holiday_on_a_day_without_hours():
    assert holidays_between(OFFICE, berlin(2026, 10, 2), berlin(2026, 10, 5)) == [date(2026, 10, 3)]


def test_windows_between_lists_the_clipped_windows_in_utc():
    windows = windows_between(SPLIT, new_york(2026, 6, 1, 10), new_york(2026, 6, 2, 9))
    assert windows == [
        (utc(2026, 6, 1, 14), utc(2026, 6, 1, 16)),
        (utc(2026, 6, 1, 17), utc(2026, 6, 1, 21)),
        (utc(2026, 6, 2, 12), utc(2026, 6, 2, 13)),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in windows)


def test_windows_between_lists_at_most_fifty_windows():
    windows = windows_between(SPLIT, new_york(2026, 6, 1), new_york(2026, 9, 1))
    assert len(windows) == MAX_EXPLAINED_WINDOWS == 50
    assert windows[0] == (new_york(2026, 6, 1, 8), new_york(2026, 6, 1, 12))


def test_windows_between_on_a_24x7_calendar_is_the_whole_time():
    assert windows_between(ALWAYS, berlin(2026, 6, 1), berlin(2026, 6, 9)) == [
        (utc(2026, 5, 31, 22), utc(2026, 6, 8, 22))
    ]
    assert windows_between(ALWAYS, berlin(2026, 6, 9), berlin(2026, 6, 1)) == []


# Snapshots


def test_a_snapshot_is_json_and_gives_the_same_calendar_back():
    for calendar in CALENDARS:
        snapshot = json.loads(json.dumps(calendar.to_snapshot()))
        assert Calendar.from_snapshot(snapshot) == calendar


def test_the_snapshot_format():
    calendar = Calendar(
        "Europe/Berlin",
        {0: ((time(13), time(17)), (time(8), time(12))), 4: ((time(22), MIDNIGHT),), 6: ()},
        frozenset({date(2026, 12, 25), date(2026, 1, 1)}),
    )
    assert calendar.to_snapshot() == {
        "time_zone": "Europe/Berlin",
        "always_open": False,
        "hours": {"0": [["08:00", "12:00"], ["13:00", "17:00"]], "4": [["22:00", "24:00"]]},
        "holidays": ["2026-01-01", "2026-12-25"],
    }


def test_a_snapshot_may_omit_weekdays_and_end_at_24_00_or_00_00():
    snapshot = {"time_zone": "Europe/Berlin", "always_open": False, "hours": {"2": [["18:00", "24:00"]]}}
    calendar = Calendar.from_snapshot(snapshot)
    assert calendar == Calendar("Europe/Berlin", {2: ((time(18), MIDNIGHT),)})
    assert Calendar.from_snapshot({**snapshot, "hours": {"2": [["18:00", "00:00"]]}}) == calendar
    assert calendar.holidays == frozenset()


def test_a_snapshot_keeps_seconds_when_there_are_some():
    calendar = Calendar("UTC", {0: ((time(9, 0, 30), time(17)),)})
    assert calendar.to_snapshot()["hours"] == {"0": [["09:00:30", "17:00"]]}
    assert Calendar.from_snapshot(calendar.to_snapshot()) == calendar


def test_equal_calendars_are_equal_and_hash_alike():
    one = Calendar("UTC", {0: ((time(13), time(17)), (time(8), time(12))), 3: ()})
    other = Calendar("UTC", {0: ((time(8), time(12)), (time(13), time(17)))})
    assert one == other
    assert hash(one) == hash(other)
    assert Calendar.always() == Calendar("UTC", {}, always_open=True)


@pytest.mark.parametrize(
    "snapshot",
    [
        {},
        {"hours": {"0": [["09:00", "17:00"]]}},
        {"time_zone": "UTC", "hours": {"monday": [["09:00", "17:00"]]}},
        {"time_zone": "UTC", "hours": {"0": [["9am", "17:00"]]}},
        {"time_zone": "UTC", "hours": {"0": [["24:00", "17:00"]]}},
        {"time_zone": "UTC", "hours": {"0": [["09:00"]]}},
        {"time_zone": "UTC", "hours": {"0": [["09:00", "17:00"]]}, "holidays": ["25.12.2026"]},
        {"time_zone": "UTC", "hours": {"0": [["09:00", "17:00"]]}, "always_open": "no"},
        {"time_zone": "Nowhere/Special", "hours": {"0": [["09:00", "17:00"]]}},
    ],
)
def test_a_malformed_snapshot_is_refused(snapshot):
    with pytest.raises(ValueError):
        Calendar.from_snapshot(snapshot)


# Refusals


@pytest.mark.parametrize("time_zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Europe/berlin "])
def test_an_unknown_time_zone_is_refused(time_zone):
    with pytest.raises(ValueError, match="time zone"):
        Calendar(time_zone, hours(WEEKDAYS, (9, 17)))


@pytest.mark.parametrize("hours_", [{}, {0: (), 6: ()}])
def test_a_calendar_without_business_hours_is_refused(hours_):
    with pytest.raises(ValueError, match="needs business hours"):
        Calendar("UTC", hours_)


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (((time(9), time(12)), (time(11), time(17))), "overlap"),
        (((time(9), time(17)), (time(9), time(17))), "overlap"),
        (((time(22), MIDNIGHT), (time(23), time(23, 30))), "overlap"),
        (((time(17), time(9)),), "ends before it starts"),
        (((time(9), time(9)),), "ends before it starts"),
        (((time(9), time(17, tzinfo=UTC)),), "without tzinfo"),
        (((time(9), "17:00"),), "datetime.time"),
        (((time(9),),), "pair"),
    ],
)
def test_bad_windows_are_refused(windows, message):
    with pytest.raises(ValueError, match=message):
        Calendar("UTC", {0: windows})


@pytest.mark.parametrize("weekday", [7, -1, "0", True])
def test_a_weekday_out_of_range_is_refused(weekday):
    with pytest.raises(ValueError, match="weekday"):
        Calendar("UTC", {weekday: ((time(9), time(17)),)})


def test_a_holiday_given_as_a_datetime_is_refused():
    with pytest.raises(ValueError, match="dates"):
        Calendar("UTC", hours(WEEKDAYS, (9, 17)), frozenset({datetime(2026, 12, 25)}))


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(OFFICE, datetime(2026, 6, 1, 10), HOUR),
        lambda: business_seconds(OFFICE, datetime(2026, 6, 1, 10), berlin(2026, 6, 1, 12)),
        lambda: business_seconds(OFFICE, berlin(2026, 6, 1, 10), datetime(2026, 6, 1, 12)),
        lambda: resume_due(OFFICE, berlin(2026, 6, 1, 12), datetime(2026, 6, 1, 10), berlin(2026, 6, 1, 11)),
        lambda: warn_at(OFFICE, berlin(2026, 6, 1, 9), HOUR, datetime(2026, 6, 1, 10), 75),
        lambda: holidays_between(OFFICE, datetime(2026, 6, 1), berlin(2026, 6, 2)),
        lambda: windows_between(OFFICE, berlin(2026, 6, 1), datetime(2026, 6, 2)),
        lambda: add_business_time(ALWAYS, datetime(2026, 6, 1, 10), HOUR),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="aware"):
        call()


@pytest.mark.parametrize("seconds", [-1, -0.000001, float("nan"), float("inf"), 1e20])
def test_a_negative_or_impossible_number_of_seconds_is_refused(seconds):
    with pytest.raises(ValueError, match="seconds"):
        add_business_time(OFFICE, berlin(2026, 6, 1, 10), seconds)
    with pytest.raises(ValueError, match="seconds"):
        add_business_time(ALWAYS, berlin(2026, 6, 1, 10), seconds)


def test_a_resume_before_the_pause_is_refused():
    with pytest.raises(ValueError, match="before it paused"):
        resume_due(OFFICE, berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 11), berlin(2026, 6, 1, 10))


@pytest.mark.parametrize("percent", [-1, 101, 50.5, True])
def test_a_warning_percentage_out_of_range_is_refused(percent):
    with pytest.raises(ValueError, match="percent"):
        warn_at(OFFICE, berlin(2026, 6, 1, 9), 8 * HOUR, berlin(2026, 6, 1, 17), percent)


def _mondays(first, count):
    return frozenset(first + timedelta(weeks=n) for n in range(count))


def test_the_search_gives_up_after_about_three_years_without_business_hours():
    mondays_only = Calendar("Europe/Berlin", hours([0], (9, 17)), _mondays(date(2026, 1, 5), 4 * 53))
    with pytest.raises(ValueError, match="No business hours"):
        add_business_time(mondays_only, berlin(2026, 1, 1), HOUR)


def test_the_search_finds_business_hours_two_years_away():
    mondays_only = Calendar("Europe/Berlin", hours([0], (9, 17)), _mondays(date(2026, 1, 5), 2 * 53))
    assert add_business_time(mondays_only, berlin(2026, 1, 1), HOUR) == berlin(2028, 1, 17, 10)


# Properties: any calendar, start, target and pause


PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

CLOCK_CHANGES = [
    utc(2026, 3, 8, 7),
    utc(2026, 3, 29, 1),
    utc(2026, 4, 4, 15),
    utc(2026, 4, 5, 3),
    utc(2026, 9, 6, 4),
    utc(2026, 10, 3, 15, 30),
    utc(2026, 10, 25, 1),
    utc(2026, 11, 1, 6),
    utc(2027, 3, 28, 1),
    utc(2027, 10, 31, 1),
]
WEEK = 7 * 24 * HOUR

calendars = st.sampled_from(CALENDARS)
# Anywhere in 2026-2027, or within three days of a clock change.
moments = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59), timezones=st.just(UTC)),
    st.builds(
        lambda change, offset: change + timedelta(seconds=offset),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(min_value=-3 * 24 * HOUR, max_value=3 * 24 * HOUR),
    ),
)
durations = st.one_of(
    st.floats(min_value=0, max_value=3 * WEEK, allow_nan=False),
    st.integers(min_value=0, max_value=3 * WEEK),
    st.sampled_from([0, 1, HOUR, 8 * HOUR, 40 * HOUR, WEEK]),
)
gaps = st.one_of(st.integers(min_value=0, max_value=2 * WEEK), st.sampled_from([0, 1, HOUR, 16 * HOUR, 2 * 24 * HOUR]))

MICROSECOND = timedelta(microseconds=1)
TOLERANCE = 1e-6


@PROPERTY
@given(calendars, moments, durations)
def test_the_due_time_is_never_before_the_start(calendar, start, seconds):
    assert add_business_time(calendar, start, seconds) >= start


@PROPERTY
@given(calendars, moments, durations)
def test_the_due_time_holds_exactly_the_target_and_is_the_earliest_that_does(calendar, start, seconds):
    due = add_business_time(calendar, start, seconds)
    assert business_seconds(calendar, start, due) == pytest.approx(seconds, abs=TOLERANCE)
    if seconds >= TOLERANCE:
        assert business_seconds(calendar, start, due - MICROSECOND) < business_seconds(calendar, start, due)


@PROPERTY
@given(calendars, moments, moments, durations)
def test_a_later_start_never_gives_an_earlier_due_time(calendar, one, other, seconds):
    earlier, later = sorted([one, other])
    assert add_business_time(calendar, earlier, seconds) <= add_business_time(calendar, later, seconds)


@PROPERTY
@given(calendars, moments, durations, durations)
def test_a_longer_target_never_gives_an_earlier_due_time(calendar, start, one, other):
    shorter, longer = sorted([one, other])
    assert add_business_time(calendar, start, shorter) <= add_business_time(calendar, start, longer)


@PROPERTY
@given(calendars, moments, st.integers(min_value=0, max_value=3 * WEEK), st.integers(min_value=1, max_value=3 * WEEK))
def test_a_target_added_in_two_parts_gives_the_same_due_time(calendar, start, first, second):
    in_parts = add_business_time(calendar, add_business_time(calendar, start, first), second)
    assert in_parts == add_business_time(calendar, start, first + second)


@PROPERTY
@given(calendars, moments, gaps, gaps)
def test_business_seconds_add_up(calendar, start, first_gap, second_gap):
    middle = start + timedelta(seconds=first_gap)
    end = middle + timedelta(seconds=second_gap)
    whole = business_seconds(calendar, start, end)
    assert business_seconds(calendar, start, middle) + business_seconds(calendar, middle, end) == pytest.approx(
        whole, abs=TOLERANCE
    )
    assert 0 <= whole <= (end - start).total_seconds()


def _is_business_instant(calendar, instant):
    """Whether the calendar's wall clock shows a business time at `instant`: the plain definition."""
    if calendar.always_open:
        return True
    local = instant.astimezone(ZoneInfo(calendar.time_zone))
    if local.date() in calendar.holidays:
        return False
    clock = local.time().replace(tzinfo=None, fold=0)
    return any(
        start <= clock and (end == MIDNIGHT or clock < end) for start, end in calendar.hours.get(local.weekday(), ())
    )


@settings(max_examples=100, deadline=None, database=None)
@given(calendars, moments, st.integers(min_value=0, max_value=21 * 24 * 4))
def test_business_seconds_agree_with_the_wall_clock_quarter_hour_by_quarter_hour(calendar, start, quarters):
    # Every window and every clock change of these calendars falls on a quarter hour, and no window starts or
    # ends inside an hour that repeats, where "shows a business time" and "first time the clock shows" differ.
    start = start.replace(minute=start.minute // 15 * 15, second=0, microsecond=0)
    quarter = timedelta(minutes=15)
    counted = sum(_is_business_instant(calendar, start + n * quarter) for n in range(quarters))
    assert business_seconds(calendar, start, start + quarters * quarter) == counted * 15 * 60


@PROPERTY
@given(moments, durations)
def test_24x7_is_plain_time_arithmetic(start, seconds):
    due = add_business_time(ALWAYS, start, seconds)
    assert due == start + timedelta(seconds=seconds)
    assert business_seconds(ALWAYS, start, due) == pytest.approx(seconds, abs=TOLERANCE)


@PROPERTY
@given(
    st.sampled_from(["Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe"]),
    moments,
    durations,
)
def test_open_round_the_clock_is_the_same_as_24x7(time_zone, start, seconds):
    round_the_clock = Calendar(time_zone, hours(EVERY_DAY, (0, 24)))
    assert add_business_time(round_the_clock, start, seconds) == start + timedelta(seconds=seconds)


@PROPERTY
@given(calendars, moments, durations, st.sampled_from([BERLIN, NEW_YORK, SANTIAGO]))
def test_the_zone_a_moment_is_given_in_does_not_matter(calendar, start, seconds, zone):
    due = add_business_time(calendar, start, seconds)
    assert add_business_time(calendar, start.astimezone(zone), seconds) == due
    assert business_seconds(calendar, start.astimezone(zone), due.astimezone(zone)) == business_seconds(
        calendar, start, due
    )


@PROPERTY
@given(calendars, moments, durations, gaps, gaps)
def test_a_pause_never_counts(calendar, start, seconds, until_pause, pause):
    due = add_business_time(calendar, start, seconds)
    paused_at = start + timedelta(seconds=until_pause)
    resumed_at = paused_at + timedelta(seconds=pause)
    resumed_due = resume_due(calendar, due, paused_at, resumed_at)
    assert resumed_due >= due
    if paused_at < due:
        left = business_seconds(calendar, paused_at, due)
        assert business_seconds(calendar, resumed_at, resumed_due) == pytest.approx(left, abs=TOLERANCE)
    else:
        assert resumed_due == due


@PROPERTY
@given(calendars, moments, moments, gaps)
def test_a_pause_never_moves_a_due_time_set_by_hand_earlier(calendar, due, paused_at, pause):
    resumed_at = paused_at + timedelta(seconds=pause)
    resumed_due = resume_due(calendar, due, paused_at, resumed_at)
    assert resumed_due >= due
    if paused_at < due:
        left = business_seconds(calendar, paused_at, due)
        assert business_seconds(calendar, resumed_at, resumed_due) == pytest.approx(left, abs=TOLERANCE)


@PROPERTY
@given(calendars, moments, durations, st.lists(st.tuples(gaps, gaps), max_size=4))
def test_the_due_time_never_moves_backwards_over_many_pauses(calendar, start, seconds, pauses):
    due = add_business_time(calendar, start, seconds)
    now = start
    for until_pause, pause in pauses:
        paused_at = now + timedelta(seconds=until_pause)
        now = paused_at + timedelta(seconds=pause)
        later_due = resume_due(calendar, due, paused_at, now)
        assert later_due >= due
        due = later_due


@PROPERTY
@given(calendars, moments, durations, st.integers(min_value=0, max_value=100))
def test_the_warning_comes_when_the_percentage_is_used(calendar, start, seconds, percent):
    due = add_business_time(calendar, start, seconds)
    warning = warn_at(calendar, start, seconds, due, percent)
    assert start <= warning <= due
    if warning > start:
        assert business_seconds(calendar, warning, due) == pytest.approx(seconds * (100 - percent) / 100, abs=1e-5)
    if percent < 100:
        assert warning <= warn_at(calendar, start, seconds, due, percent + 1)


@PROPERTY
@given(calendars, moments, gaps)
def test_the_windows_between_two_moments_hold_their_business_time(calendar, start, gap):
    end = start + timedelta(seconds=gap)
    windows = windows_between(calendar, start, end)
    assert all(start <= window_start < window_end <= end for window_start, window_end in windows)
    assert all(one[1] < other[0] for one, other in zip(windows, windows[1:], strict=False))
    if len(windows) < MAX_EXPLAINED_WINDOWS:
        total = sum((window_end - window_start).total_seconds() for window_start, window_end in windows)
        assert total == pytest.approx(business_seconds(calendar, start, end), abs=TOLERANCE)


# A sweep: ~10 000 tickets at once


def test_ten_thousand_due_times_in_one_sweep():
    # Walks windows day by day and skips plain weeks; the project does not assert on time, so only the
    # answers are checked here.
    starts = [utc(2026, 1, 1) + timedelta(minutes=97 * n) for n in range(10_000)]  # about 2 years of tickets
    dues = [add_business_time(OFFICE, start, WEEK) for start in starts]
    assert all(due > start for start, due in zip(starts, dues, strict=True))
    for start, due in list(zip(starts, dues, strict=True))[::500]:
        assert business_seconds(OFFICE, start, due) == WEEK

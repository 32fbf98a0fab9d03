"""Business-hours clock arithmetic for SLA clocks: pure functions over a Calendar, no database.

A calendar's hours are wall-clock times in its own zone, so the real length of a window changes on the
nights the clocks change: 01:00-04:00 lasts two real hours when clocks spring forward and four when they
fall back. Every count here is of real elapsed seconds.

A wall-clock time is turned into an instant as "the first instant the calendar's clock shows that time":

* a time that happens twice (clocks falling back) means its first occurrence, i.e. fold=0;
* a time that never happens (clocks springing forward over it) means the instant of the jump, so a window
  02:30-05:00 on the night Berlin jumps from 02:00 to 03:00 opens at 03:00 summer time.

Plain fold=0 would read a skipped 02:30 as 03:30 summer time, which lies *after* a 03:15 that does exist:
windows could then end before they start or overlap their neighbours. The rule above keeps the mapping from
wall clock to real time non-decreasing, and with it every window in order.

Everything returned is in UTC; everything taken must be aware (any zone).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Days in a row without a single business window before add_business_time gives up: a calendar whose
# every working day is a holiday would otherwise be searched forever.
MAX_EMPTY_DAYS = 3 * 366
# Windows listed by windows_between: enough to explain a due time, not a report.
MAX_EXPLAINED_WINDOWS = 50

MIDNIGHT = time(0, 0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_MICROSECOND = timedelta(microseconds=1)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Calendar:
    """When an SLA clock runs: weekly business hours in a time zone, minus holidays; or always (24x7).

    `hours` maps a weekday (0 = Monday) to its local (start, end) windows; an end of time(0, 0) means 24:00.
    The windows are validated and normalised (sorted, empty weekdays dropped) on creation, so two calendars
    that describe the same hours are equal, and a calendar is hashable despite its dict.
    """

    time_zone: str
    hours: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self):
        zone = _zone(self.time_zone)
        hours = _checked_hours(self.hours)
        holidays = _checked_holidays(self.holidays)
        if not self.always_open and not hours:
            raise ValueError("A calendar that is not 24x7 needs business hours on at least one weekday.")
        # Frozen, but derived once here rather than on every call: this runs for thousands of tickets a sweep.
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_holiday_ordinals", frozenset(holiday.toordinal() for holiday in holidays))
        spans = tuple(
            tuple((_since_midnight(start), _since_midnight(end) or _DAY) for start, end in hours.get(weekday, ()))
            for weekday in range(7)
        )
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(
            self, "_nominal_week", sum((end - start for day in spans for start, end in day), start=timedelta())
        )

    def __hash__(self):
        return hash((self.time_zone, tuple(self.hours.items()), self.holidays, self.always_open))

    @classmethod
    def always(cls, time_zone="UTC") -> "Calendar":
        """A 24x7 calendar: every second counts."""
        return cls(time_zone=time_zone, hours={}, always_open=True)

    @classmethod
    def from_snapshot(cls, data: dict) -> "Calendar":
        """The calendar a to_snapshot() dict describes; ValueError for anything malformed."""
        if not isinstance(data, dict) or "time_zone" not in data:
            raise ValueError("A calendar snapshot is a dict with at least a 'time_zone'.")
        hours = {}
        for key, windows in (data.get("hours") or {}).items():
            try:
                weekday = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"Weekday {key!r} in the calendar snapshot is not a number from 0 to 6.") from None
            hours[weekday] = tuple(_parse_window(window) for window in windows)
        always_open = data.get("always_open", False)
        if not isinstance(always_open, bool):
            raise ValueError(f"'always_open' in the calendar snapshot must be true or false, not {always_open!r}.")
        return cls(
            time_zone=data["time_zone"],
            hours=hours,
            holidays=frozenset(_parse_date(value) for value in data.get("holidays") or ()),
            always_open=always_open,
        )

    def to_snapshot(self) -> dict:
        """A JSON-able copy, stored with a ticket so its due time can be explained after the calendar changes.

        A window ending at midnight is written "24:00": "00:00" as an end reads like a mistake to a person.
        """
        return {
            "time_zone": self.time_zone,
            "always_open": self.always_open,
            "hours": {
                str(weekday): [
                    [_format_clock(start), _format_clock(end) if end != MIDNIGHT else "24:00"] for start, end in windows
                ]
                for weekday, windows in self.hours.items()
            },
            "holidays": [holiday.isoformat() for holiday in sorted(self.holidays)],
        }


def add_business_time(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The moment (UTC) `seconds` of business time have elapsed after `start`.

    The clock starts at the next window when `start` is outside business hours. The answer is the earliest
    such moment: a target used up exactly at closing time is due at closing, not at the next opening. With no
    time to add, the answer is the next business moment at or after `start`.
    """
    return _add(calendar, _utc(start, "start"), _duration(seconds, "seconds"))


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business time between two moments, in seconds; 0.0 if `end` is not after `start`."""
    return _business_time(calendar, _utc(start, "start"), _utc(end, "end")).total_seconds()


def resume_due(calendar: Calendar, due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The due time (UTC) of a clock paused at `paused_at` and resumed at `resumed_at`.

    The business time that was left when the clock paused starts counting again at the resume, so a pause
    never uses up SLA time. A clock that was already due or breached when paused keeps its due time.
    The due time never moves earlier, even for a due time set by hand outside business hours.
    """
    due = _utc(due, "due")
    paused_at = _utc(paused_at, "paused_at")
    resumed_at = _utc(resumed_at, "resumed_at")
    if resumed_at < paused_at:
        raise ValueError(f"The clock resumed ({resumed_at.isoformat()}) before it paused ({paused_at.isoformat()}).")
    if paused_at >= due:
        return due
    return max(due, _add(calendar, resumed_at, _business_time(calendar, paused_at, due)))


def warn_at(calendar: Calendar, start: datetime, target_seconds: float, due: datetime, percent: int) -> datetime:
    """The moment (UTC) `percent` % of the target is used: when the business time left until `due` falls
    to (100 - percent) % of `target_seconds`.

    `start` is when the clock (re)started counting; if no more than that is left by then, the answer is
    `start`, so a clock resumed late warns at once.
    """
    start = _utc(start, "start")
    due = _utc(due, "due")
    target = _duration(target_seconds, "target_seconds")
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValueError(f"percent must be a whole number from 0 to 100, not {percent!r}.")
    left = _business_time(calendar, start, due)
    warning_left = target * (100 - percent) / 100
    if left <= warning_left:
        return start
    return _add(calendar, start, left - warning_left)


def holidays_between(calendar: Calendar, start: datetime, end: datetime) -> list[date]:
    """The calendar's holidays (local dates, in order) that overlap the time from `start` to `end`.

    Every such holiday is listed, even one on a weekday without hours; a 24x7 calendar has none.
    """
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end <= start or calendar.always_open:
        return []
    first_day = _local_date(calendar, start)
    last_day = _local_date(calendar, end)
    zone = calendar._zone
    return [
        holiday
        for holiday in sorted(calendar.holidays)
        if first_day <= holiday <= last_day
        and _to_utc(_midnight(holiday), zone) < end
        and _to_utc(_midnight(holiday + _DAY), zone) > start
    ]


def windows_between(calendar: Calendar, start: datetime, end: datetime) -> list[Window]:
    """The business windows (UTC, clipped to `start` and `end`) the time between two moments was made of.

    Windows that touch (Monday 22:00-24:00 and Tuesday 00:00-06:00) are shown as one. At most
    MAX_EXPLAINED_WINDOWS are listed: the first ones.
    """
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end <= start:
        return []
    if calendar.always_open:
        return [(start, end)]
    windows: list[Window] = []
    day = _local_date(calendar, start)
    last_day = _local_date(calendar, end)
    while day <= last_day:
        for window_start, window_end in _day_windows(calendar, day):
            clipped = (max(window_start, start), min(window_end, end))
            if clipped[0] >= clipped[1]:
                continue
            if windows and windows[-1][1] == clipped[0]:
                windows[-1] = (windows[-1][0], clipped[1])
            elif len(windows) == MAX_EXPLAINED_WINDOWS:
                return windows
            else:
                windows.append(clipped)
        day += _DAY
    return windows


def _add(calendar: Calendar, start: datetime, left: timedelta) -> datetime:
    if calendar.always_open:
        return start + left
    first_day = day = _local_date(calendar, start)
    empty_days = 0
    while True:
        # Whole weeks with nothing unusual in them are skipped in one step; strictly more than a week left,
        # so the answer never lands at the end of a skipped week (a Friday close must not become a Monday).
        if day > first_day and left > calendar._nominal_week and _is_plain_week(calendar, day):
            left -= calendar._nominal_week
            day += _WEEK
            continue
        windows = _day_windows(calendar, day)
        empty_days = 0 if windows else empty_days + 1
        if empty_days > MAX_EMPTY_DAYS:
            raise ValueError(
                f"No business hours in the {MAX_EMPTY_DAYS} days after {start.isoformat()}: "
                "check the calendar's holidays."
            )
        for window_start, window_end in windows:
            if window_end <= start:
                continue
            counted_from = max(window_start, start)
            available = window_end - counted_from
            if left <= available:
                return counted_from + left
            left -= available
        day += _DAY


def _business_time(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return timedelta()
    if calendar.always_open:
        return end - start
    total = timedelta()
    first_day = day = _local_date(calendar, start)
    last_day = _local_date(calendar, end)
    while day <= last_day:
        # The week's last local day ends before `end` when a later local date is still to come.
        if first_day < day and day + _WEEK <= last_day and _is_plain_week(calendar, day):
            total += calendar._nominal_week
            day += _WEEK
            continue
        for window_start, window_end in _day_windows(calendar, day):
            overlap = min(window_end, end) - max(window_start, start)
            if overlap > timedelta():
                total += overlap
        day += _DAY
    return total


def _day_windows(calendar: Calendar, day: date) -> list[Window]:
    """The day's business windows as UTC instants; windows the clocks jumped over entirely are dropped."""
    if day in calendar.holidays:
        return []
    spans = calendar._spans[day.weekday()]
    if not spans:
        return []
    midnight = _midnight(day)
    zone = calendar._zone
    offset = zone.utcoffset(midnight)
    if zone.utcoffset(midnight + _DAY) == offset:
        # The usual day: one offset from midnight to midnight, as no zone changes its clocks and back within
        # a day. (A jump exactly at the next midnight also lands here, and the jump instant is what this gives.)
        utc_midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
        return [(utc_midnight + start, utc_midnight + end) for start, end in spans]
    windows = []
    for start, end in spans:
        window = (_to_utc(midnight + start, zone), _to_utc(midnight + end, zone))
        if window[0] < window[1]:
            windows.append(window)
    return windows


def _is_plain_week(calendar: Calendar, day: date) -> bool:
    """Whether the seven local days from `day` hold exactly the nominal week: no holiday, no clock change.

    The offset is compared at the eight midnights; a zone changing its clocks and back within one day
    would slip through, and none does.
    """
    first = day.toordinal()
    zone = calendar._zone
    offset = zone.utcoffset(datetime.fromordinal(first))
    # Plain loops over day numbers: this runs several times for every long target.
    for ordinal in range(first, first + 7):
        if ordinal in calendar._holiday_ordinals or zone.utcoffset(datetime.fromordinal(ordinal + 1)) != offset:
            return False
    return True


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the zone's clocks show the naive wall time `wall`."""
    before = zone.utcoffset(wall)  # fold=0: the offset in force before a change at this wall time
    after = zone.utcoffset(wall.replace(fold=1))
    if before >= after:
        # No change here, or clocks fell back and `wall` happens twice: the first time counts.
        return (wall - before).replace(tzinfo=UTC)
    # Clocks sprang forward over `wall`. The jump lies between these two instants; find it to the microsecond.
    # Only endpoints inside a skipped hour come here, a few times a year.
    earlier, later = wall - after, wall - before
    while later - earlier > _MICROSECOND:
        middle = earlier + (later - earlier) // 2
        if middle.replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
            earlier = middle
        else:
            later = middle
    return later.replace(tzinfo=UTC)


def _local_date(calendar: Calendar, moment: datetime) -> date:
    return moment.astimezone(calendar._zone).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond)


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got the naive {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _duration(seconds: float, name: str) -> timedelta:
    # Written so NaN fails too; infinity would overflow timedelta.
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{name} must be a finite number of seconds, zero or more, not {seconds!r}.")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{name} is too large: {seconds!r}.") from None


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"The time zone must be an IANA name such as 'Europe/Berlin', not {name!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'.") from None


def _checked_hours(hours: dict) -> dict[int, tuple[tuple[time, time], ...]]:
    """The hours sorted and validated: weekdays 0-6, naive times, each window ending after it starts, none
    overlapping. Weekdays without windows are dropped."""
    if not isinstance(hours, dict):
        raise ValueError(f"Business hours must be a dict of weekday -> windows, not {type(hours).__name__}.")
    checked = {}
    for weekday, windows in hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"A weekday is a number from 0 (Monday) to 6 (Sunday), not {weekday!r}.")
        name = _WEEKDAY_NAMES[weekday]
        day = []
        for window in windows:
            if len(window) != 2:
                raise ValueError(f"{name}: a window is a (start, end) pair, not {window!r}.")
            start, end = window
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"{name}: window times must be datetime.time values, not {window!r}.")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"{name}: window times are local to the calendar's zone; give them without tzinfo.")
            if end != MIDNIGHT and end <= start:
                raise ValueError(f"{name}: the window {start:%H:%M}-{end:%H:%M} ends before it starts.")
            day.append((start.replace(fold=0), end.replace(fold=0)))
        day.sort()
        for (start, end), (next_start, next_end) in zip(day, day[1:], strict=False):
            if end == MIDNIGHT or next_start < end:
                raise ValueError(
                    f"{name}: the windows {start:%H:%M}-{end:%H:%M} and {next_start:%H:%M}-{next_end:%H:%M} overlap."
                )
        if day:
            checked[weekday] = tuple(day)
    return dict(sorted(checked.items()))


def _checked_holidays(holidays) -> frozenset[date]:
    holidays = frozenset(holidays)
    for holiday in holidays:
        # A datetime is a date too, but never equal to one: it would silently match no day.
        if not isinstance(holiday, date) or isinstance(holiday, datetime):
            raise ValueError(f"Holidays are dates, not {holiday!r}.")
    return holidays


def _parse_window(window: list) -> tuple[time, time]:
    if not isinstance(window, list | tuple) or len(window) != 2:
        raise ValueError(
            f"A window in the calendar snapshot is a [start, end] pair such as ['09:00', '17:00'], not {window!r}."
        )
    start, end = window
    return _parse_clock(start), MIDNIGHT if end in ("24:00", "24:00:00") else _parse_clock(end)


def _parse_clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} in the calendar snapshot is not a time of day such as '09:00'.") from None


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"Holiday {value!r} in the calendar snapshot is not a date such as '2026-12-25'.") from None


def _format_clock(clock: time) -> str:
    return clock.isoformat(timespec="minutes" if not (clock.second or clock.microsecond) else "auto")

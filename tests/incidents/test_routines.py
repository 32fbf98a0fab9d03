"""Routine notices: due by their own schedule and time zone, sent once per period however often the sweep runs."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.conf import settings

from comms.defaults import TEMPLATES
from comms.models import MessageTemplate, OutboundMessage
from incidents.models import RoutineNotice, RoutineRun
from incidents.routines import latest_occurrence, next_occurrence, schedule_routine, send_due_routines
from tests.helpdesk.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# A Monday.
MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def routine(template_slug="routine-weekly-update", **fields):
    values = {
        "name": "Weekly update",
        "template": MessageTemplate.objects.get(slug=template_slug),
        "frequency": "weekly",
        "weekday": 0,
        "send_time": time(9, 0),
        "time_zone": "Europe/Madrid",
        "message": "Exports are twice as fast.",
    }
    values.update(fields)
    made = RoutineNotice.objects.create(**values)
    with time_machine.travel(MONDAY, tick=False):
        schedule_routine(made)
    return made


def sweep(moment, times=2):
    with time_machine.travel(moment, tick=False):
        return [len(send_due_routines()) for _ in range(times)]


def test_weekly_occurrences_follow_the_routines_time_zone(people):
    weekly = routine()
    # 09:00 in Madrid on 2 March 2026 is 08:00 UTC (winter time).
    assert weekly.next_run_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    period, when = latest_occurrence(weekly, datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    assert period == "2026-W10" and when == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    # After the clocks change (29 March) the same local time is 07:00 UTC.
    assert next_occurrence(weekly, datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_a_weekly_update_goes_once_per_week_to_everyone_with_the_sweep_run_twice_and_late(people):
    weekly = routine()
    assert sweep(MONDAY + timedelta(hours=1)) == [0, 0]  # 07:00 UTC: not yet
    assert sweep(MONDAY + timedelta(hours=2)) == [1, 0]
    assert sweep(MONDAY + timedelta(hours=5)) == [0, 0]
    run = RoutineRun.objects.get()
    assert (run.period, run.recipients, run.messages) == ("2026-W10", 3, 6)  # email and portal each
    assert run.key_prefix == f"routine:{weekly.pk}:2026-W10:"
    rows = OutboundMessage.objects.filter(idempotency_key__startswith=run.key_prefix)
    assert rows.count() == 6
    carmen = rows.get(idempotency_key=f"{run.key_prefix}user:{people['carmen'].pk}")
    assert carmen.language == "es" and "Exports are twice as fast." in carmen.body
    # The sweep sleeps for three weeks: one run for the current week, none for the weeks it missed.
    assert sweep(MONDAY + timedelta(days=22)) == [1, 0]
    assert list(RoutineRun.objects.order_by("period").values_list("period", flat=True)) == ["2026-W10", "2026-W13"]
    weekly.refresh_from_db()
    assert weekly.next_run_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_a_monthly_report_reaches_only_enterprise_organizations(people):
    report = routine(
        "routine-monthly-report",
        name="Monthly report",
        frequency="monthly",
        day_of_month=1,
        time_zone="UTC",
    )
    report.tiers.set([people["acme"].tier])
    with time_machine.travel(MONDAY, tick=False):
        schedule_routine(report)
    assert report.next_run_at == datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    assert sweep(datetime(2026, 4, 1, 9, 0, tzinfo=UTC)) == [1, 0]
    assert sweep(datetime(2026, 4, 20, 9, 0, tzinfo=UTC)) == [0, 0]
    run = RoutineRun.objects.get()
    assert run.period == "2026-04" and run.recipients == 2
    recipients = set(OutboundMessage.objects.values_list("recipient_user_id", flat=True))
    assert recipients == {people["alice"].pk, people["carmen"].pk}


def test_languages_and_organizations_narrow_the_audience(people):
    CustomerFactory(username="dora", organization=people["globex"], language="es")
    weekly = routine(languages=["es"])
    weekly.organizations.set([people["globex"]])
    sweep(MONDAY + timedelta(hours=2))
    assert RoutineRun.objects.get().recipients == 1


def test_an_inactive_routine_sends_nothing(people):
    routine(is_active=False)
    assert sweep(MONDAY + timedelta(days=1)) == [0, 0]
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize("slug", ["routine-weekly-update", "routine-monthly-report"])
def test_routine_templates_have_a_text_in_every_language(slug):
    _kind, _name, texts = TEMPLATES[slug]
    assert set(texts) == {code for code, _label in settings.LANGUAGES}
    for subject, body in texts.values():
        assert "{{ period_label }}" in subject and "{{ customer_name }}" in body


def test_the_weekly_period_reads_as_the_weeks_monday_in_each_recipients_language(people):
    CustomerFactory(username="fritz", organization=people["globex"], language="de")
    CustomerFactory(username="aiko", organization=people["globex"], language="ja")
    routine(weekday=2)  # Wednesday 4 March 2026: the week of Monday 2 March
    sweep(MONDAY + timedelta(days=2, hours=2))
    subjects = {
        language: subject
        for language, subject in OutboundMessage.objects.filter(channel="email").values_list("language", "subject")
    }
    assert "week of March 2, 2026" in subjects["en"]
    assert "semana del 2 de marzo de 2026" in subjects["es"]
    assert "Woche vom 2. März 2026" in subjects["de"]
    assert "2026年3月2日" in subjects["ja"]
    assert not any("W10" in subject for subject in subjects.values())


def test_the_monthly_period_reads_as_the_month_in_the_recipients_language(people):
    report = routine("routine-monthly-report", name="Monthly report", frequency="monthly", time_zone="UTC")
    with time_machine.travel(MONDAY, tick=False):
        schedule_routine(report)
    sweep(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    subjects = dict(OutboundMessage.objects.filter(channel="email").values_list("language", "subject"))
    assert "April 2026" in subjects["en"] and "abril de 2026" in subjects["es"]

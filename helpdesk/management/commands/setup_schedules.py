"""Create or update every periodic job by name. Idempotent: run it as often as you like."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

# name -> (function, minutes between runs). Interval schedules need no cron
# parser; each line says what the equivalent cron expression would be.
SCHEDULES = {
    # */1 * * * *  send outbox rows that are due or that a lost task left behind
    "comms.deliver_due": ("comms.tasks.deliver_due", 1),
    # */1 * * * *  process stored inbound emails that a lost task left behind
    "comms.process_inbound": ("comms.tasks.process_pending_inbound", 1),
    # */1 * * * *  SLA warnings, breaches and time-based escalations
    "helpdesk.sweep_sla": ("helpdesk.tasks.sweep_sla", 1),
    # */1 * * * *  send macro replies whose undo window has passed (a wake-up task usually beat it)
    "helpdesk.release_held_replies": ("helpdesk.tasks.release_held_replies", 1),
    # */1 * * * *  ticket reminders: drop answered ones, notify the agent of the rest
    "helpdesk.sweep_reminders": ("helpdesk.tasks.sweep_reminders", 1),
    # */10 * * * *  the SLA dashboard's daily counts for the last 90 days
    "helpdesk.refresh_sla_rollup": ("helpdesk.tasks.refresh_sla_rollup", 10),
    # 0 3 * * *  (daily) the SLA dashboard's daily counts for every day
    "helpdesk.rebuild_sla_rollup": ("helpdesk.tasks.rebuild_sla_rollup", 24 * 60),
    # */1 * * * *  incident cadence: warnings, misses, notices a lost task left behind
    "incidents.sweep_cadence": ("incidents.tasks.sweep_cadence", 1),
    # */1 * * * *  maintenance windows: reminders, start and completion (components switch), their notices
    "incidents.sweep_maintenance": ("incidents.tasks.sweep_maintenance", 1),
    # */1 * * * *  routine notices (weekly updates, monthly reports) whose time has come, once per period
    "incidents.send_routine_notices": ("incidents.tasks.send_routine_notices", 1),
    # */1 * * * *  tickets held by agents who went away too long ago go back to their queue
    "helpdesk.release_away_tickets": ("helpdesk.tasks.release_away_tickets", 1),
    # 0 5 * * *  (daily) forget ticket API requests older than TICKET_API_KEEP_DAYS (their tickets stay)
    "helpdesk.forget_old_api_requests": ("helpdesk.tasks.forget_old_api_requests", 24 * 60),
    # 0 4 * * 1  (weekly) retrain the triage classifier on resolved tickets
    "helpdesk.retrain_triage_classifier": ("helpdesk.tasks.retrain_triage_classifier", 7 * 24 * 60),
    # */1 * * * *  journey signals: outreach past its merge window, the escalation ladder, systemic alerts
    "incidents.sweep_signals": ("incidents.journey.tasks.sweep_signals", 1),
    # */15 * * * *  journey signals: the built-in detection rules over tickets, messages and handoffs
    "incidents.detect_signals": ("incidents.journey.tasks.run_detection_rules", 15),
    # */1 * * * *  record that a worker is alive, for /healthz
    "helpdesk.heartbeat": ("helpdesk.tasks.heartbeat", 1),
    # 0 * * * *  (hourly) one reminder for survey invitations left unanswered (named by string: no import)
    "feedback.send_survey_reminders": ("feedback.tasks.send_survey_reminders", 60),
    # */10 * * * *  the feedback report's daily figures for the last 35 days
    "feedback.refresh_feedback_rollup": ("feedback.tasks.refresh_feedback_rollup", 10),
    # 0 4 * * *  (daily) the feedback report's daily figures for every day
    "feedback.rebuild_feedback_rollup": ("feedback.tasks.rebuild_feedback_rollup", 24 * 60),
    # 0 6 * * *  (daily) the NPS send-out of the current period, once per period (quarterly by default)
    "feedback.send_nps_surveys": ("feedback.tasks.send_nps_surveys", 24 * 60),
}
# */1 * * * *  poll the IMAP mailbox; only while IMAP_HOST is set, removed otherwise
IMAP_SCHEDULE = ("comms.fetch_mail", "comms.tasks.fetch_mail", 1)


class Command(BaseCommand):
    help = "Create or update the periodic django-q2 schedules."

    def handle(self, *args, **options):
        schedules = dict(SCHEDULES)
        name, func, minutes = IMAP_SCHEDULE
        if settings.IMAP_HOST:
            schedules[name] = (func, minutes)
        elif Schedule.objects.filter(name=name).delete()[0]:
            self.stdout.write(f"removed schedule {name} (IMAP_HOST is not set)")
        for name, (func, minutes) in schedules.items():
            _obj, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"{'created' if created else 'updated'} schedule {name} (every {minutes} min)")

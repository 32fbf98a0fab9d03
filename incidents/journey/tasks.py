"""django-q2 entry points for journey signals: thin and idempotent (every step is stamped)."""


def sweep_signals():
    """Schedule target, every minute: outreach whose merge window passed, the ladder, systemic alerts."""
    from .ladder import run_signal_sweep

    return run_signal_sweep()


def run_detection_rules():
    """Schedule target, every 15 minutes: the built-in detection rules over Firstline's own data."""
    from .rules import run_detection

    return run_detection()


def process_cases(case_ids):
    """Woken after a request recorded signals: each case's ticket and note, then its outreach if already due.

    Every step is stamped (the ticket on the case, `noted_at`, `addressed_at`): a second run changes nothing.
    """
    from django.utils import timezone

    from .engine import send_outreach, write_case_note

    now = timezone.now()
    sent = 0
    for case_id in case_ids:
        write_case_note(case_id, now=now)  # opens the ticket first when the case has none
        sent += send_outreach(case_id, now=now)
    return sent


def process_case(case_id):
    """Tasks queued before process_cases existed still run."""
    return process_cases([case_id])

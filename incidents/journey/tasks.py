"""django-q2 entry points for journey signals: thin and idempotent (every step is stamped)."""


def sweep_signals():
    """Schedule target, every minute: outreach whose merge window passed, the ladder, systemic alerts."""
    from .ladder import run_signal_sweep

    return run_signal_sweep()


def run_detection_rules():
    """Schedule target, every 15 minutes: the built-in detection rules over Firstline's own data."""
    from .rules import run_detection

    return run_detection()


def process_case(case_id):
    """Woken after a new case or a critical signal: its note, then its outreach if already due."""
    from django.utils import timezone

    from .engine import send_outreach, write_case_note

    now = timezone.now()
    write_case_note(case_id, now=now)
    return send_outreach(case_id, now=now)

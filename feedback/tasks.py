"""django-q2 entry points for feedback: thin, idempotent, safe to run twice."""


def send_survey_reminders():
    """Schedule target: hourly, one reminder per open invitation past the reminder delay."""
    from .services import send_reminders

    return send_reminders()


def send_nps_surveys():
    """Schedule target: daily; sends the current period's NPS survey once, then nothing until the next."""
    from .services import send_nps_surveys as send

    return send()


def refresh_feedback_rollup():
    """Schedule target: every ten minutes, the report's daily figures for recent days."""
    from .rollup import refresh

    return refresh()


def rebuild_feedback_rollup():
    """Schedule target: once a day, the report's daily figures for every day."""
    from .rollup import refresh

    return refresh(days=None)

"""django-q2 entry points for feedback: thin, idempotent, safe to run twice."""


def send_survey_reminders():
    """Schedule target: hourly, one reminder per open invitation past the reminder delay."""
    from .services import send_reminders

    return send_reminders()


def send_nps_surveys():
    """Schedule target: daily; sends the current period's NPS survey once, then nothing until the next."""
    from .services import send_nps_surveys as send

    return send()

"""django-q2 entry points for incidents: thin and idempotent."""


def sweep_cadence():
    """Schedule target: every minute, cadence warnings, misses and notices a lost task left behind."""
    from .cadence import sweep_cadence as sweep

    return sweep()


def send_update_notices(update_id):
    """After a public update: its customer notices and executive summaries (a second run writes nothing)."""
    from .notices import send_update_notices as send

    return send(update_id)

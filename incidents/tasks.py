"""django-q2 entry points for incidents: thin and idempotent."""


def sweep_cadence():
    """Schedule target: every minute, cadence warnings, misses and notices a lost task left behind."""
    from .cadence import sweep_cadence as sweep

    return sweep()


def send_update_notices(update_id):
    """After a public update: its customer notices and executive summaries (a second run writes nothing)."""
    from .notices import send_update_notices as send

    return send(update_id)


def sweep_maintenance():
    """Schedule target: every minute, maintenance reminders, starts and completions, each once."""
    from .maintenance import sweep_maintenance as sweep

    return sweep()


def send_routine_notices():
    """Schedule target: every minute, the routine notices that are due, once per period each."""
    from .routines import send_due_routines

    return send_due_routines()

"""django-q2 entry points for the helpdesk: thin and idempotent."""

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat():
    """Schedule target: every minute, record that a worker is alive."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})


def sweep_sla():
    """Schedule target: every minute, SLA warnings, breaches and time-based escalations."""
    from .sweep import sweep_sla as sweep

    return sweep()


def refresh_sla_rollup():
    """Schedule target: every ten minutes, the dashboard's counts for recent days."""
    from .rollup import refresh

    return refresh()


def rebuild_sla_rollup():
    """Schedule target: once a day, the dashboard's counts for every day."""
    from .rollup import refresh

    return refresh(days=None)

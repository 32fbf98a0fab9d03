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


def release_held_replies():
    """Schedule target: every minute, send the macro replies whose undo window has passed."""
    from .macros import release_held_replies as release

    return release()


def release_held_reply(message_id):
    """Wake-up call after a macro: release its reply as soon as the undo window ends."""
    from .macros import release_held_reply as release

    return release(message_id)


def sweep_reminders():
    """Schedule target: every minute, close answered reminders and notify agents of the rest."""
    from .reminders import sweep_reminders as sweep

    return sweep()


def refresh_sla_rollup():
    """Schedule target: every ten minutes, the dashboard's counts for recent days."""
    from .rollup import refresh

    return refresh()


def rebuild_sla_rollup():
    """Schedule target: once a day, the dashboard's counts for every day."""
    from .rollup import refresh

    return refresh(days=None)


def recompute_policy(policy_id, actor_id=None):
    """Admin request: apply a policy's current targets to its open tickets (safe to run twice)."""
    from .clocks import recompute_open_tickets
    from .models import SlaPolicy, User

    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        return 0
    return recompute_open_tickets(policy, actor=User.objects.filter(pk=actor_id).first())


def retrain_triage_classifier():
    """Schedule target: weekly, the triage classifier retrained on resolved tickets (skipped while too few)."""
    from .triage import classifier

    try:
        row = classifier.retrain()
    except classifier.NotEnoughData as reason:
        return str(reason)
    return row.pk


def release_away_tickets():
    """Schedule target: every minute, tickets of agents away too long go back to their queue and are
    routed again to an available agent (set-wise; a second run finds nothing)."""
    from .triage.routing import release_from_away_agents

    return release_from_away_agents()


def forget_old_api_requests():
    """Schedule target: daily, ticket API requests past their Idempotency-Key's life are forgotten."""
    from .api_clients import forget_old_requests

    return forget_old_requests()

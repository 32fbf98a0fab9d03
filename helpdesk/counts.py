"""Queue counts for the agent workspace, shared between agents for a few seconds.

Counting every open ticket is the one part of the queue page whose cost grows
with the table, and every agent's page asks for the same numbers every few
seconds. The counts that are the same for everyone (and per team) are kept
in the cache; the agent's own count is always taken live. Every service that
changes tickets calls `invalidate()` after its commit, so a change made here is
seen at once; the time limit bounds staleness from anything else (bulk loads,
another process with a local-memory cache).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

from .models import Ticket

GENERATION_KEY = "firstline:queue-counts:generation"
SHARED = ("unassigned", "team", "open", "waiting", "resolved", "breaching", "proactive")
# Breaching soon: tickets whose next target is due within this horizon (or already past).
BREACHING_HORIZON = timedelta(hours=1)


def invalidate():
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def breaching_horizon(now):
    """Whole minutes, like `since`, so the count can be shared within a minute."""
    return (now + BREACHING_HORIZON).replace(second=0, microsecond=0)


def queue_counts(user, *, since, soon=None):
    """Counts of every workspace queue for `user`; `since` and `soon` should be whole minutes."""
    seconds = settings.FIRSTLINE_QUEUE_COUNT_CACHE_SECONDS
    if not seconds:
        return Ticket.objects.queue_counts(user, since=since, soon=soon)
    generation = cache.get_or_set(GENERATION_KEY, lambda: uuid.uuid4().hex, None)
    key = f"firstline:queue-counts:{generation}:team-{user.team_id or 0}:{since:%Y%m%d%H%M}"
    shared = cache.get(key)
    if shared is None:
        counts = Ticket.objects.queue_counts(user, since=since, soon=soon)
        cache.set(key, {name: counts[name] for name in SHARED}, seconds)
        return counts
    # One count: a plain COUNT(*) over the queue's own filter costs a third of the
    # scalar-subquery form that queue_counts() needs for several at once.
    return {**shared, "mine": Ticket.objects.in_view("mine", user, since=since).count()}

"""The triage configuration (rules, routes, default queue, categories, model in use), cached per process.

Reading it costs a handful of queries, which would be most of the work of
triaging one ticket, and it changes only when an admin edits it. Each
process keeps it for FIRSTLINE_TRIAGE_CACHE_SECONDS; the admin clears the
copy of the process it runs in at once, other processes catch up within
that time.
"""

import time
from dataclasses import dataclass

from django.conf import settings

_cached = {"at": 0.0, "config": None}


@dataclass(frozen=True)
class Config:
    rules: list
    routes: list
    default_queue: object
    categories: dict
    classifier_pk: int | None


def load():
    from ..models import Category, ClassifierModel, Queue, RoutingRule, TriageRule

    return Config(
        rules=list(
            TriageRule.objects.filter(is_active=True)
            .select_related("set_category", "set_queue__team", "set_assignee", "set_team")
            .prefetch_related("conditions", "add_tags")
        ),
        routes=list(RoutingRule.objects.filter(is_active=True).select_related("queue__team", "category", "tier")),
        default_queue=Queue.objects.filter(is_default=True).select_related("team").first(),
        categories={category.slug: category for category in Category.objects.all()},
        classifier_pk=ClassifierModel.objects.filter(is_active=True).values_list("pk", flat=True).first(),
    )


def current():
    now = time.monotonic()
    if _cached["config"] is None or now - _cached["at"] > settings.FIRSTLINE_TRIAGE_CACHE_SECONDS:
        _cached["config"] = load()
        _cached["at"] = now
    return _cached["config"]


def clear():
    _cached["config"] = None

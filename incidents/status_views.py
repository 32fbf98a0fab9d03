"""The public status page and its JSON summary: public incidents and public updates only, no login.

Both read one snapshot in a fixed number of queries, however long the history.
"""

from collections import OrderedDict
from datetime import timedelta

from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import STATUS_WEIGHT, Component, ComponentStatus, Incident, IncidentStatus, IncidentUpdate

HISTORY_DAYS = 90


def snapshot(now=None):
    """Components by group, open public incidents with their public timelines, and 90 days of history."""
    now = now or timezone.now()
    groups = OrderedDict()
    for component in Component.objects.select_related("group").order_by("group__ordering", "group__name", "ordering"):
        groups.setdefault(component.group.name if component.group else "", []).append(component)
    public_updates = IncidentUpdate.objects.public().order_by("-created_at", "-pk")
    active = list(
        Incident.objects.open()
        .public()
        .order_by("severity", "-declared_at")
        .prefetch_related(
            Prefetch("updates", queryset=public_updates, to_attr="public_updates"),
            Prefetch("affected__component"),
        )
    )
    since = (now - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    history = OrderedDict()
    past = (
        Incident.objects.public()
        .filter(status=IncidentStatus.RESOLVED, declared_at__gte=since)
        .order_by("-declared_at")
        .values("pk", "title", "severity", "declared_at", "resolved_at")
    )
    for row in past:
        row["ref"] = Incident.ref_for(row["pk"])
        history.setdefault(timezone.localdate(row["declared_at"]), []).append(row)
    worst = max((STATUS_WEIGHT[c.status] for cs in groups.values() for c in cs), default=0)
    return {
        "now": now,
        "groups": [(name, cs, max(cs, key=lambda c: STATUS_WEIGHT[c.status]).status) for name, cs in groups.items()],
        "active": active,
        "history": history,
        "all_operational": worst == 0 and not active,
        "overall": next(s for s, w in STATUS_WEIGHT.items() if w == worst),
    }


@require_GET
def status_page(request):
    context = snapshot()
    context["status_labels"] = dict(ComponentStatus.choices)
    return render(request, "incidents/status.html", context)


@require_GET
def summary(request):
    data = snapshot()
    payload = {
        "updated_at": data["now"].isoformat(),
        "status": str(data["overall"]),
        "components": [
            {"name": c.name, "group": name or None, "status": c.status}
            for name, components, _worst in data["groups"]
            for c in components
        ],
        "incidents": [
            {
                "id": incident.ref,
                "title": incident.title,
                "severity": incident.severity_code,
                "status": incident.status,
                "declared_at": incident.declared_at.isoformat(),
                "next_update_by": incident.next_update_due.isoformat() if incident.next_update_due else None,
                "components": [a.component.name for a in incident.affected.all()],
                "updates": [
                    {"status": u.status, "body": u.body, "created_at": u.created_at.isoformat()}
                    for u in incident.public_updates
                ],
            }
            for incident in data["active"]
        ],
        "history": [
            {
                "id": row["ref"],
                "title": row["title"],
                "severity": f"P{row['severity']}",
                "declared_at": row["declared_at"].isoformat(),
                "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
            }
            for rows in data["history"].values()
            for row in rows
        ],
    }
    response = JsonResponse(payload)
    response["Access-Control-Allow-Origin"] = "*"
    return response

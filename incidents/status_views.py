"""The public status page and its JSON summary: public incidents and public updates only, no login.

Both read one snapshot in a fixed number of queries, however long the history.
"""

from collections import OrderedDict
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db.models import Count, Min, Prefetch
from django.db.models.functions import TruncDate
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from helpdesk.ratelimit import client_ip

from . import subscriptions
from .defaults import MAINTENANCE_SHOWN_DAYS_AHEAD
from .forms import SubscribeForm
from .models import (
    STATUS_WEIGHT,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceStatus,
    MaintenanceWindow,
)

HISTORY_DAYS = 90
RECENT_INCIDENTS = 10


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
    history, recent = past_incidents(now)
    maintenance = upcoming_maintenance(now)
    worst = max((STATUS_WEIGHT[c.status] for cs in groups.values() for c in cs), default=0)
    return {
        "now": now,
        "groups": [(name, cs, max(cs, key=lambda c: STATUS_WEIGHT[c.status]).status) for name, cs in groups.items()],
        "active": active,
        "history": history,
        "recent": recent,
        "maintenance": maintenance,
        "all_operational": worst == 0 and not active,
        "overall": next(s for s, w in STATUS_WEIGHT.items() if w == worst),
    }


def upcoming_maintenance(now, organization_id=None):
    """Windows in progress and those starting within the shown horizon, each with its component names.

    One query: a row per window and component, folded here (a prefetch would be a second one).
    """
    windows = MaintenanceWindow.objects.upcoming_or_active(now).filter(
        starts_at__lte=now + timedelta(days=MAINTENANCE_SHOWN_DAYS_AHEAD)
    )
    if organization_id is not None:
        windows = windows.affecting_organization(organization_id)
    rows = windows.values(
        "pk", "title", "description", "expected_impact", "starts_at", "ends_at", "status", "components__name"
    ).order_by("starts_at", "pk", "components__ordering", "components__name")
    found = OrderedDict()
    for row in rows:
        name = row.pop("components__name")
        window = found.setdefault(row["pk"], {**row, "components": [], "anchor": f"maintenance-{row['pk']}"})
        if name:
            window["components"].append(name)
    for window in found.values():
        window["in_progress"] = window["status"] == MaintenanceStatus.IN_PROGRESS
    return list(found.values())


def past_incidents(now):
    """90 day cells (date, how many public incidents began that day, the worst severity) and the latest few.

    Counted and graded in SQL, so the page costs the same two queries with
    ten incidents or ten thousand; only the last RECENT_INCIDENTS are listed
    by title.
    """
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now, zone)
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    public = Incident.objects.public().filter(declared_at__gte=since)
    per_day = {
        row["day"]: row
        for row in public.annotate(day=TruncDate("declared_at", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(count=Count("pk"), worst=Min("severity"))
    }
    days = []
    for offset in range(HISTORY_DAYS):
        day = first_day + timedelta(days=offset)
        row = per_day.get(day)
        count, worst = (row["count"], row["worst"]) if row else (0, None)
        if count:
            said = ngettext("%(count)d incident, worst P%(worst)d", "%(count)d incidents, worst P%(worst)d", count)
            said = said % {"count": count, "worst": worst}
        else:
            said = gettext("no incident")
        days.append({"date": day, "count": count, "worst": worst, "label": f"{day.isoformat()}: {said}"})
    recent = list(
        public.filter(status=IncidentStatus.RESOLVED)
        .order_by("-declared_at", "-pk")
        .values("pk", "title", "severity", "declared_at", "resolved_at")[:RECENT_INCIDENTS]
    )
    for row in recent:
        row["ref"] = Incident.ref_for(row["pk"])
    return days, recent


@require_GET
def status_page(request):
    context = snapshot()
    context["status_labels"] = dict(ComponentStatus.choices)
    context["subscribe_form"] = SubscribeForm()
    return render(request, "incidents/status.html", context)


@require_POST
def subscribe(request):
    """Ask for status updates by email: a confirmation link is sent, and the page says so."""
    form = SubscribeForm(request.POST)
    sent, status = "", 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            subscriptions.request_subscription(
                data["email"],
                components=data["components"] if data["scope"] == "chosen" else (),
                all_components=data["scope"] == "all",
                address=client_ip(request),
                language=get_language(),
            )
        except subscriptions.RateLimited as exc:
            form.add_error(None, str(exc))
            status = 200 if request.htmx else 429  # htmx swaps no 4xx answer by default
        else:
            sent = _("Almost done: we emailed a confirmation link to %(email)s.") % {"email": data["email"]}
            if not request.htmx:
                messages.success(request, sent)
                return redirect(reverse("status:page") + "#status-subscribe")
            form = SubscribeForm()
    if not request.htmx:
        context = {**snapshot(), "status_labels": dict(ComponentStatus.choices), "subscribe_form": form}
        return render(request, "incidents/status.html", context, status=status)
    context = {"subscribe_form": form, "groups": _component_groups(), "sent": sent}
    response = render(request, "incidents/status.html#status-subscribe", context, status=status)
    if sent:
        trigger_client_event(response, "statusSubscriptionRequested")
    return response


def _component_groups():
    groups = OrderedDict()
    for component in Component.objects.select_related("group").order_by("group__ordering", "group__name", "ordering"):
        groups.setdefault(component.group.name if component.group else "", []).append(component)
    return [(name, cs, None) for name, cs in groups.items()]


@never_cache
@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token):
    """GET shows what the link confirms (mail scanners follow links); the button's POST confirms it once."""
    if request.method == "POST":
        subscription = subscriptions.confirm_subscription(token)
        state = "confirmed" if subscription else "invalid"
    else:
        subscription = subscriptions.pending_for_token(token)
        state = "confirm" if subscription else "invalid"
    return render(
        request,
        "incidents/subscription.html",
        {"state": state, "subscription": subscription, "token": token},
        status=404 if state == "invalid" else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One click on the button ends this subscription only; no login, nothing about anyone else."""
    if request.method == "POST":
        subscription = subscriptions.unsubscribe(token)
        state = "unsubscribed" if subscription else "invalid"
    else:
        subscription = subscriptions.subscription_for_unsubscribe(token)
        state = (
            "invalid" if subscription is None else ("unsubscribed" if subscription.unsubscribed_at else "unsubscribe")
        )
    return render(
        request,
        "incidents/subscription.html",
        {"state": state, "subscription": subscription, "token": token},
        status=404 if state == "invalid" else 200,
    )


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
        "maintenance": [
            {
                "id": window["anchor"],
                "title": window["title"],
                "status": window["status"],
                "starts_at": window["starts_at"].isoformat(),
                "ends_at": window["ends_at"].isoformat(),
                "expected_impact": window["expected_impact"],
                "components": window["components"],
            }
            for window in data["maintenance"]
        ],
        "history": [
            {
                "date": day["date"].isoformat(),
                "incidents": day["count"],
                "worst_severity": f"P{day['worst']}" if day["worst"] else None,
            }
            for day in data["history"]
        ],
        "recent": [
            {
                "id": row["ref"],
                "title": row["title"],
                "severity": f"P{row['severity']}",
                "declared_at": row["declared_at"].isoformat(),
                "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
            }
            for row in data["recent"]
        ],
    }
    response = JsonResponse(payload)
    response["Access-Control-Allow-Origin"] = "*"
    return response

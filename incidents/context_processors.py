"""What helpdesk's pages may show about incidents, without helpdesk importing this app.

Every value is a cached callable: a page that does not show it costs no query.
"""

from functools import cache

from django.urls import reverse

from .models import Incident, IncidentTicketLink, LinkState


def incidents(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_customer:
        return {
            "incident_banners": cache(lambda: banners_for(user)),
            "maintenance_banners": cache(lambda: maintenance_for(user)),
        }
    if user.is_agent:
        return {
            "incident_declare_url": reverse("incidents:incident-create"),
            "incident_list_url": reverse("incidents:incident-list"),
            "ticket_incidents": cache(lambda: _ticket_incidents(request)),
        }
    return {}


def banners_for(user):
    """Open incidents affecting the customer's own organization, newest first (never anyone else's)."""
    if not user.organization_id:
        return []
    return list(
        Incident.objects.open()
        .affecting_organization(user.organization_id)
        .order_by("-declared_at")
        .only("pk", "title", "severity", "status", "next_update_due", "is_public")[:5]
    )


def maintenance_for(user):
    """Maintenance in progress or coming up that notifies the customer's own organization."""
    from django.utils import timezone

    from .status_views import upcoming_maintenance

    if not user.organization_id:
        return []
    return upcoming_maintenance(timezone.now(), organization_id=user.organization_id)


def _ticket_incidents(request):
    """On an agent's ticket page: the incidents that ticket is linked to or offered to."""
    match = getattr(request, "resolver_match", None)
    if not match or match.namespace != "helpdesk" or "ref" not in match.kwargs:
        return []
    from helpdesk.models import ref_to_pk

    pk = ref_to_pk(match.kwargs["ref"])
    if pk is None:
        return []
    return list(
        IncidentTicketLink.objects.filter(ticket_id=pk)
        .exclude(state=LinkState.UNLINKED)
        .select_related("incident")
        .order_by("-created_at")
    )

"""Fragments feedback adds to helpdesk pages through `helpdesk.signals.page_panels`."""

from django.template.loader import render_to_string
from django.utils import timezone

from .forms import SurveyPreferenceForm
from .models import Invitation, SurveyOptOut


def render_panel(place, request, **objects):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if place == "portal-ticket":
        return _portal_ticket(request, objects["ticket"])
    if place == "portal-preferences" and user.is_customer:
        form = SurveyPreferenceForm(initial={"receive": not SurveyOptOut.objects.filter(person=user).exists()})
        return render_to_string("feedback/panels/portal_preferences.html", {"form": form}, request)
    if place == "manager-dashboard":
        # Fetched after the page by HTMX: the dashboard's own query count does not change.
        return render_to_string("feedback/panels/manager_dashboard.html", {}, request)
    return None


def _portal_ticket(request, ticket):
    """On a resolved ticket, its requester's open survey (or their answer)."""
    if ticket.is_open or request.user.pk != ticket.requester_id:
        return None
    invitation = (
        Invitation.objects.filter(ticket=ticket, person=request.user)
        .select_related("response")
        .order_by("-round")
        .first()
    )
    if invitation is None:
        return None
    context = {
        "invitation": invitation,
        "open": invitation.answered_at is None and not invitation.is_expired(timezone.now()),
    }
    if context["open"]:
        from .emails import score_labels

        context["choices"] = score_labels(invitation.kind)
    return render_to_string("feedback/panels/portal_ticket.html", context, request)

"""What helpdesk's ticket page may show about journey signals, without helpdesk importing this app.

Only a URL built from the route: the panel itself loads on its own (one request, a few queries).
"""

from django.urls import reverse


def journey(request):
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or not user.is_agent:
        return {}
    context = {"journey_systemic_url": reverse("journey:systemic-list")}
    if match and match.namespace == "helpdesk" and "ref" in match.kwargs:
        context["journey_panel_url"] = reverse("journey:ticket-panel", args=[match.kwargs["ref"]])
    return context

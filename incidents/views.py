"""Incidents in the agent workspace: the list, declaring one, and the incident page with its actions.

Plain pages without JavaScript (POST redirects); asked by HTMX, the actions
answer with the `incident-body` partial and announce `incidentChanged`.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from helpdesk.access import agent_required, get_ticket_for_agent

from . import services
from .forms import DeclareForm, LinkForm, SeverityForm, UpdateForm
from .models import Incident, IncidentTicketLink, IncidentUpdate, ref_to_pk

DETAIL = "incidents/incident_detail.html"


def get_incident_for_agent(user, ref):
    pk = ref_to_pk(ref)
    if pk is None or not user.is_agent:
        raise Http404
    return get_object_or_404(Incident.objects.with_list_columns().select_related("notices_held_by"), pk=pk)


@agent_required
@require_GET
def incident_list(request):
    incidents = Incident.objects.with_list_columns().order_by("-declared_at")[:100]
    return render(request, "incidents/incident_list.html", {"incidents": incidents, "now": timezone.now()})


@agent_required
@require_http_methods(["GET", "POST"])
def incident_create(request):
    ticket_ref = request.POST.get("ticket") or request.GET.get("ticket") or ""
    ticket = get_ticket_for_agent(request.user, ticket_ref) if ticket_ref else None
    initial = {"commander": request.user, "communications_lead": request.user, "ticket": ticket_ref}
    if ticket is not None:
        initial.update(title=ticket.subject, organizations=[ticket.organization_id])
    form = DeclareForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = services.declare_incident(
            request.user,
            **{k: data[k] for k in ("title", "severity", "crisis_level", "commander", "communications_lead")},
            **{k: data[k] for k in ("users_affected", "business_impact", "security_impact", "is_public")},
            all_organizations=data["all_organizations"],
            organizations=data["organizations"],
            components={c: data["component_status"] for c in data["components"]},
            message=data["message"],
            ticket=ticket,
        )
        messages.success(request, _("%(ref)s declared.") % {"ref": incident.ref})
        return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form, "ticket": ticket})


def _detail_context(incident, *, update_form=None, link_form=None):
    return {
        "incident": incident,
        "now": timezone.now(),
        "updates": IncidentUpdate.objects.filter(incident=incident).select_related("author").order_by("-created_at"),
        "links": IncidentTicketLink.objects.filter(incident=incident)
        .select_related("ticket__organization")
        .order_by("state", "-created_at"),
        "affected": incident.affected.select_related("component"),
        "organizations": incident.organizations.all(),
        "misses": incident.misses.order_by("due_at"),
        "update_form": update_form or UpdateForm(initial={"status": incident.status}),
        "severity_form": SeverityForm(initial={"severity": incident.severity, "crisis_level": incident.crisis_level}),
        "held_by": incident.notices_held_by,
        "link_form": link_form or LinkForm(),
    }


@agent_required
@require_GET
def incident_detail(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    template = f"{DETAIL}#incident-body" if request.htmx and not request.htmx.boosted else DETAIL
    response = render(request, template, _detail_context(incident))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after_action(request, incident, **forms):
    if not request.htmx:
        return redirect(incident)
    incident.refresh_from_db()
    response = render(request, f"{DETAIL}#incident-body", _detail_context(incident, **forms))
    trigger_client_event(response, "incidentChanged", {"ref": incident.ref})
    return response


@agent_required
@require_POST
def incident_update(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.post_update(
                request.user,
                incident,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                public=form.cleaned_data["visibility"] == "public",
            )
            messages.success(request, _("Update posted."))
            form = None
        except services.IncidentError as exc:
            messages.error(request, str(exc))
    return _after_action(request, incident, update_form=form)


@agent_required
@require_POST
def incident_link(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            ticket = get_ticket_for_agent(request.user, form.cleaned_data["ticket"].strip())
        except Http404:
            form.add_error("ticket", _("No ticket has this reference."))
        else:
            services.link_ticket(request.user, incident, ticket)
            messages.success(request, _("%(ref)s linked.") % {"ref": ticket.ref})
            form = None
    return _after_action(request, incident, link_form=form)


@agent_required
@require_POST
def incident_link_action(request, ref, pk):
    """Accept an offered ticket or unlink one, told apart by the button's name."""
    incident = get_incident_for_agent(request.user, ref)
    link = get_object_or_404(IncidentTicketLink.objects.select_related("ticket", "incident"), pk=pk, incident=incident)
    try:
        if "accept" in request.POST:
            services.accept_offer(request.user, link)
        elif "unlink" in request.POST:
            services.unlink_ticket(request.user, link)
    except services.IncidentError as exc:
        messages.error(request, str(exc))
    return _after_action(request, incident)


@agent_required
@require_POST
def incident_severity(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    form = SeverityForm(request.POST)
    if form.is_valid():
        try:
            services.change_severity(request.user, incident, **form.cleaned_data)
            messages.success(request, _("Severity changed; the open deadlines follow the new cadence."))
        except services.IncidentError as exc:
            messages.error(request, str(exc))
    return _after_action(request, incident)


@agent_required
@require_POST
def incident_release_notices(request, ref):
    """The commander notifies customers although every affected component is under maintenance."""
    incident = get_incident_for_agent(request.user, ref)
    if services.release_notices(request.user, incident):
        messages.success(request, _("Customer notices resume with the next public update."))
    return _after_action(request, incident)


@agent_required
@require_POST
def incident_close(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    try:
        services.close_incident(request.user, incident)
        messages.success(request, _("%(ref)s closed.") % {"ref": incident.ref})
    except services.IncidentError as exc:
        messages.error(request, str(exc))
    return _after_action(request, incident)

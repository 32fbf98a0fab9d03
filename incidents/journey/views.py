"""Agents' and managers' pages for journey signals."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.access import agent_required, get_ticket_for_agent
from helpdesk.agent_views import _detail_context, _dual, _wants_fragment
from helpdesk.forms import ReplyForm
from helpdesk.manager_views import manager_required
from helpdesk.models import Organization, Ticket
from helpdesk.services import latest_event_id

from .. import services as incident_services
from ..models import Severity
from . import reports
from .engine import draft_for
from .models import ProactiveCase, SignalEvent, SystemicAlert

DETAIL_TEMPLATE = "helpdesk/ticket_detail.html"


@agent_required
@require_GET
def ticket_panel(request, ref):
    """The sidebar's proactive panel: the case's signal history and touches, or our last outreach."""
    ticket = get_ticket_for_agent(request.user, ref, Ticket.objects.all())
    case = ProactiveCase.objects.filter(ticket=ticket).first()
    events = (
        SignalEvent.objects.filter(case=case).select_related("signal_type", "integration").order_by("-received_at")[:20]
        if case
        else []
    )
    contacted = None
    if case is None:
        contacted = (
            ProactiveCase.objects.filter(customer_id=ticket.requester_id, last_outreach_at__isnull=False)
            .select_related("ticket")
            .order_by("-last_outreach_at")
            .first()
        )
    context = {"ticket": ticket, "case": case, "events": events, "contacted": contacted}
    return _dual(render(request, "incidents/journey/ticket_panel.html", context))


@agent_required
@require_GET
def ticket_draft(request, ref):
    """The drafted customer message, put in the composer of the ticket the agent should answer on."""
    ticket = get_ticket_for_agent(request.user, ref)
    case = get_object_or_404(ProactiveCase.objects.select_related("customer"), ticket=ticket)
    body = case.draft_body
    if not body:
        # Signals not yet noted by the worker: draft from the stored events now (nothing is saved).
        events = list(case.events.filter(addressed_at__isnull=True).select_related("signal_type"))
        body = draft_for(case, events, case.touches)["body"] if events else ""
    form = ReplyForm(initial={"body": body, "seen_event_id": latest_event_id(ticket)})
    context = _detail_context(ticket, user=request.user, reply_form=form)
    if _wants_fragment(request):
        return _dual(render(request, f"{DETAIL_TEMPLATE}#ticket-composer", context))
    return _dual(render(request, DETAIL_TEMPLATE, context))


@agent_required
@require_GET
def systemic_list(request):
    alerts = SystemicAlert.objects.select_related("signal_type", "incident").order_by("-raised_at")[:50]
    return render(request, "incidents/journey/systemic_list.html", {"alerts": alerts})


@agent_required
@require_GET
def systemic_detail(request, pk):
    alert = get_object_or_404(SystemicAlert.objects.select_related("signal_type", "incident"), pk=pk)
    return render(request, "incidents/journey/systemic_detail.html", {"alert": alert, "shared": alert.shared})


@agent_required
@require_POST
def systemic_open_incident(request, pk):
    """Declare a P2 incident for the alert's organizations, with every affected customer's ticket linked."""
    alert = get_object_or_404(SystemicAlert.objects.select_related("signal_type"), pk=pk)
    if alert.incident_id:
        return redirect(alert.incident)
    cases = list(alert.cases.with_ticket().select_related("ticket"))
    organizations = Organization.objects.filter(pk__in={case.ticket.organization_id for case in cases})
    with transaction.atomic():
        incident = incident_services.declare_incident(
            request.user,
            title=_("%(code)s %(name)s: %(count)s customers")
            % {
                "code": alert.signal_type.code,
                "name": alert.signal_type.name,
                "count": len(alert.customers),
            },
            severity=Severity.P2,
            commander=request.user,
            communications_lead=request.user,
            organizations=list(organizations),
        )
        for case in cases:
            incident_services.link_ticket(request.user, incident, case.ticket)
        updated = SystemicAlert.objects.filter(pk=alert.pk, incident__isnull=True).update(incident=incident)
        if not updated:
            raise Http404
    messages.success(
        request, _("%(ref)s declared with %(count)s tickets linked.") % {"ref": incident.ref, "count": len(cases)}
    )
    return redirect(incident)


@manager_required
@require_GET
def signal_report(request):
    """Signals per day, time from detection to first outreach, customers who wrote in before we did."""
    now = timezone.now()
    context = reports.signal_figures(now=now, days=30)
    return render(request, "incidents/journey/signal_report.html", context)

"""Triage in the agent workspace and on the manager pages: availability, the suggestion, the figures."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from .access import agent_required, get_ticket_for_agent
from .agent_views import _dual, _render_fragments, _wants_fragment
from .manager_views import _filters, manager_required
from .models import Category
from .timeline import NotAllowed
from .triage import reports
from .triage import services as triage_services


class SuggestionForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False, label=gettext_lazy("Category"))


@agent_required
@require_POST
def availability(request):
    """The header toggle: available for new tickets, or away."""
    available = request.POST.get("available") == "1"
    triage_services.set_availability(request.user, available=available)
    if not request.htmx:
        messages.success(request, _("You are available for new tickets.") if available else _("You are away."))
        return redirect(request.POST.get("next") or "helpdesk:ticket-list")
    response = render(request, "helpdesk/_availability.html", {"user": request.user})
    trigger_client_event(response, "availabilityChanged", {"available": available})
    return response


@agent_required
@require_POST
def ticket_suggestion(request, ref):
    """Keep the classifier's category (button `keep`) or correct it (button `correct` with a category)."""
    ticket = get_ticket_for_agent(request.user, ref)
    form = SuggestionForm(request.POST)
    form.is_valid()
    try:
        triage_services.answer_suggestion(
            request.user, ticket, keep="keep" in request.POST, category=form.cleaned_data.get("category")
        )
        messages.success(request, _("Thank you: the category is recorded."))
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    ticket = get_ticket_for_agent(request.user, ref)
    return _render_fragments(request, ticket, "ticket-sidebar", event="ticketUpdated")


@manager_required
@require_GET
def triage_panel(request):
    """The dashboard's triage and routing summary, loaded after the page by HTMX, for the same filters."""
    _form, filters, _choices = _filters(request)
    context = {"triage": reports.triage_figures(filters.start, filters.end)}
    return _dual(render(request, "helpdesk/manager/_triage_panel.html", context))


@manager_required
@require_GET
def triage_report(request):
    form, filters, _choices = _filters(request)
    figures = reports.triage_figures(filters.start, filters.end)
    context = {"form": form, "filters": filters, "figures": figures, "now": timezone.now()}
    if _wants_fragment(request):
        body = render_to_string("helpdesk/manager/triage.html#triage-body", context, request)
        return _dual(HttpResponse(body))
    return _dual(render(request, "helpdesk/manager/triage.html", context))

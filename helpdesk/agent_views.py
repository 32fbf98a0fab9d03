"""The agent workspace: queues, the ticket page, and the actions on a ticket."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from . import services
from .access import agent_required, get_ticket_for_agent
from .forms import QUEUES, SORT_LABELS, SORTS, BulkActionForm, ReplyForm, TicketFieldsForm, TicketFilterForm
from .models import Ticket, TicketEvent, User

RESOLVED_WINDOW = timedelta(days=7)
LIST_PARTIALS = {"ticket-list-panel"}
DETAIL_PARTIALS = {"ticket-timeline", "ticket-sidebar", "ticket-composer"}


def _stale_form(request, ticket):
    """The draft as typed, now marked as having seen the newest messages."""
    data = request.POST.copy()
    data["seen_event_id"] = services.latest_event_id(ticket)
    data.pop("force", None)
    form = ReplyForm(data)
    form.is_valid()
    return form


def _is_partial(request):
    return request.htmx and not request.htmx.boosted


def _filtered_tickets(user, data, since):
    """The queue view plus every filter the agent set; invalid filters are ignored."""
    tickets = Ticket.objects.in_view(data.get("view") or "open", user, since=since)
    for field in ("status", "priority", "queue", "level", "category"):
        if data.get(field) not in (None, ""):
            tickets = tickets.filter(**{field: data[field]})
    assignee = (data.get("assignee") or "").strip().lower()
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee__username__iexact=assignee)
    return tickets.search(data.get("q")).with_list_columns().order_by(*SORTS[data.get("sort") or "updated"])


@agent_required
@require_GET
def ticket_list(request):
    form = TicketFilterForm(request.GET)
    form.is_valid()  # keep what is valid, drop the rest
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    since = timezone.now() - RESOLVED_WINDOW
    page = Paginator(_filtered_tickets(request.user, data, since), settings.FIRSTLINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selected = {int(v) for v in request.GET.getlist("tickets") if v.isdigit()}
    refresh = request.GET.copy()
    refresh.pop("tickets", None)
    context = {
        "form": form,
        "page": page,
        "view": data.get("view") or "open",
        "queues": QUEUES,
        "counts": Ticket.objects.queue_counts(request.user, since=since),
        "selected": selected,
        "has_filters": any(data.get(f) for f in ("q", "status", "priority", "queue", "level", "assignee", "category")),
        "refresh_url": f"{request.path}?{refresh.urlencode()}",
        "sort_labels": SORT_LABELS,
        "refresh_seconds": settings.FIRSTLINE_QUEUE_REFRESH_SECONDS,
        "bulk_form": BulkActionForm(auto_id="bulk_%s"),
        "is_partial": _is_partial(request),
    }
    template = "helpdesk/ticket_list.html"
    if context["is_partial"]:
        template += "#ticket-list-panel"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_list(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("helpdesk:ticket-list")


def _messages_response(request, event=None):
    response = render(request, "includes/messages.html")
    if event:
        trigger_client_event(response, event, {})
    return response


@agent_required
@require_POST
def ticket_bulk(request):
    form = BulkActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changed = services.bulk_update_tickets(
            request.user,
            data["tickets"],
            assignee=data["assignee"] if isinstance(data["assignee"], User) else None,
            unassign=data["assignee"] == "none",
            status=data["status"] or None,
            priority=data["priority"],
        )
        messages.success(
            request, ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", changed) % {"count": changed}
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    if request.htmx:
        return _messages_response(request, "ticketsUpdated" if form.is_valid() else None)
    return _back_to_list(request)


@agent_required
@require_GET
def agent_search(request):
    """Autocomplete options for assignee fields: at most ten matching agents."""
    text = (request.GET.get("q") or request.GET.get("assignee") or "").strip()
    agents = User.objects.agents().order_by("username")
    if text:
        agents = agents.filter(username__istartswith=text) | agents.filter(first_name__istartswith=text)
    return render(request, "helpdesk/agent_options.html", {"agents": agents[:10]})


def _detail_context(request, ticket, *, reply_form=None, stale=None, fields_form=None):
    events = list(TicketEvent.objects.filter(ticket=ticket).timeline())
    return {
        "ticket": ticket,
        "events": events,
        "reply_form": reply_form or ReplyForm(initial={"seen_event_id": max((e.pk for e in events), default=0)}),
        "fields_form": fields_form or _fields_form(ticket),
        "stale": stale,
        "refresh_seconds": settings.FIRSTLINE_QUEUE_REFRESH_SECONDS * 3,
    }


def _fields_form(ticket):
    return TicketFieldsForm(
        initial={
            "version": ticket.version,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category_id,
            "queue": ticket.queue_id,
            "level": ticket.level,
            "assignee": ticket.assignee.username if ticket.assignee else "",
        }
    )


def _render_detail(request, ticket, partial=None, **kwargs):
    template = "helpdesk/ticket_detail.html"
    if partial:
        template += f"#{partial}"
    response = render(request, template, _detail_context(request, ticket, **kwargs))
    patch_vary_headers(response, ["HX-Request"])
    return response


@agent_required
@require_GET
def ticket_detail(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    target = request.htmx.target if _is_partial(request) else None
    return _render_detail(request, ticket, target if target in DETAIL_PARTIALS else None)


@agent_required
@require_POST
def ticket_claim(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    try:
        services.claim_ticket(request.user, ticket)
        messages.success(request, _("You now own %(ref)s.") % {"ref": ticket.ref})
    except services.TicketConflict as conflict:
        messages.error(request, str(conflict))
    return _after_change(request, ref)


def _after_change(request, ref):
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    ticket = get_ticket_for_agent(request.user, ref)
    response = _render_detail(request, ticket, "ticket-sidebar")
    trigger_client_event(response, "ticketUpdated", {})
    return response


@agent_required
@require_POST
def ticket_update(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = TicketFieldsForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            return _render_detail(request, ticket, fields_form=form)
        return _render_detail(request, ticket, "ticket-sidebar", fields_form=form)
    try:
        services.update_ticket(request.user, ticket, expected_version=form.cleaned_data["version"], **form.changes())
        messages.success(request, _("Ticket updated."))
    except services.TicketConflict as conflict:
        messages.error(request, str(conflict))
    return _after_change(request, ref)


@agent_required
@require_POST
def ticket_reply(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = ReplyForm(request.POST, request.FILES)
    partial = "ticket-composer" if request.htmx else None
    if not form.is_valid():
        return _render_detail(request, ticket, partial, reply_form=form)
    data = form.cleaned_data
    try:
        services.reply_to_ticket(
            request.user,
            ticket,
            body=data["body"],
            internal=data["internal"],
            attachments=data["attachments"],
            seen_event_id=data["seen_event_id"],
            force=data["force"],
        )
    except services.StaleReply as stale:
        return _render_detail(request, ticket, partial, reply_form=_stale_form(request, ticket), stale=stale.messages)
    except services.NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_detail(request, ticket, partial, reply_form=form)
    messages.success(request, _("Internal note added.") if data["internal"] else _("Reply sent."))
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    response = _render_detail(request, get_ticket_for_agent(request.user, ref), "ticket-composer")
    trigger_client_event(response, "ticketUpdated", {})
    return response

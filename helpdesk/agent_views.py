"""The agent workspace: queues, the ticket page, and the actions on a ticket.

Every view works as a plain page (GET renders, POST redirects) and, asked by
HTMX, answers with the named partial it swaps plus the flash messages out of
band. Partials are named after their root element's id.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import retarget, trigger_client_event

from comms import services as comms_services
from comms.models import MessageTemplate, OutboundMessage

from . import capture, clocks, escalation, macros, reminders, replies, services
from .access import agent_required, get_ticket_for_agent
from .counts import breaching_horizon, queue_counts
from .forms import (
    QUEUES,
    SORTS,
    AnswerEscalationForm,
    BulkActionForm,
    DeescalateForm,
    EscalateForm,
    ReplyForm,
    TicketFieldsForm,
    TicketFilterForm,
)
from .models import (
    Category,
    Macro,
    MacroApplication,
    Priority,
    Status,
    SupportLevel,
    Ticket,
    TicketEvent,
    TicketReminder,
    TicketTriage,
    User,
)
from .triage import reasons

RESOLVED_WINDOW = timedelta(days=7)
# What each triage reason decided, as the sidebar names it.
TRIAGE_LABELS = reasons.LABELS
DELIVERY_LIMIT = 50
FILTERS = ("status", "priority", "queue", "level", "category", "assignee")
LIST_TEMPLATE = "helpdesk/ticket_list.html"
DETAIL_TEMPLATE = "helpdesk/ticket_detail.html"
DETAIL_PARTIALS = ("ticket-timeline", "ticket-sidebar", "ticket-composer", "ticket-escalation", "ticket-undo")


def _wants_fragment(request):
    """An HTMX swap of part of the page. Boosted links and history restores need the whole page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _dual(response):
    """The same URL answers with a page or a fragment, so caches must key on the header."""
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- queues ---------------------------------------------------------------------------


@agent_required
@require_GET
def ticket_list(request):
    data = request.GET.copy()
    if data.get("view") == "breaching" and not data.get("sort"):
        data["sort"] = "due"  # Breaching soon reads nearest deadline first unless asked otherwise
    form = TicketFilterForm(data)
    form.is_valid()  # invalid fields drop out of cleaned_data: a bad filter is ignored, never an error page
    filters = form.cleaned_data
    view = filters.get("view") or "open"
    # Whole minutes, so the "recently resolved" window is the same for every
    # request within a minute and its count can be shared.
    now = timezone.now()
    since = (now - RESOLVED_WINDOW).replace(second=0, microsecond=0)
    soon = breaching_horizon(now)
    tickets = (
        Ticket.objects.in_view(view, request.user, since=since, soon=soon)
        .matching(request.user, **{name: filters.get(name) for name in FILTERS})
        .search(filters.get("q"))
        .with_list_columns()
        .order_by(*SORTS[filters.get("sort") or "updated"])
    )
    counts = queue_counts(request.user, since=since, soon=soon)
    has_filters = any(filters.get(name) for name in ("q", *FILTERS))
    paginator = Paginator(tickets, settings.FIRSTLINE_PAGE_SIZE)
    if not has_filters:
        # The queue's count was just taken: counting the same rows again for the
        # paginator would cost a second pass over every open ticket.
        paginator.count = counts[view]
    page = paginator.get_page(request.GET.get("page"))
    # The periodic refresh sends the boxes still ticked, so a refresh never drops a selection.
    selected = {int(pk) for pk in request.GET.getlist("tickets") if pk.isdigit()}
    context = {
        "form": form,
        "page": page,
        "view": view,
        "queues": QUEUES,
        "counts": counts,
        "selected": selected,
        "all_selected": bool(selected) and all(t.pk in selected for t in page),
        "has_filters": has_filters,
        # Reversed once per page rather than once per row.
        "detail_prefix": reverse("helpdesk:ticket-detail", args=["-"]).removesuffix("-/"),
        # Labels translated once per page rather than once per row.
        "status_labels": {value: str(label) for value, label in Status.choices},
        "priority_labels": {value: str(label) for value, label in Priority.choices},
        "refresh_seconds": settings.FIRSTLINE_QUEUE_REFRESH_SECONDS,
        "bulk_form": BulkActionForm(auto_id="bulk_%s"),
        "is_fragment": _wants_fragment(request),
        "now": now,
    }
    template = f"{LIST_TEMPLATE}#ticket-list-panel" if context["is_fragment"] else LIST_TEMPLATE
    return _dual(render(request, template, context))


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
        count = ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", changed) % {"count": changed}
        messages.success(request, count)
    else:
        for error in (error for errors in form.errors.values() for error in errors):
            messages.error(request, error)
    if not request.htmx:
        return _back_to_list(request)
    # The list panel listens for ticketsUpdated and reloads itself with its own filters.
    response = HttpResponse(render_to_string("includes/messages.html", request=request))
    if form.is_valid():
        trigger_client_event(response, "ticketsUpdated", {})
    return response


def _back_to_list(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("helpdesk:ticket-list")


@agent_required
@require_GET
def agent_search(request):
    """Autocomplete options for assignee fields: at most ten matching agents."""
    text = request.GET.get("q") or request.GET.get("assignee") or ""
    agents = User.objects.agents().search(text).order_by("username")[:10]
    return render(request, "helpdesk/agent_options.html", {"agents": agents})


# --- the ticket page ------------------------------------------------------------------------


def _detail_context(
    ticket, *, user=None, reply_form=None, fields_form=None, stale=None, escalate_form=None, answer_form=None
):
    # Lazy: evaluated once, by whichever of the timeline or the composer renders first,
    # so the composer's seen_event_id is the newest event the agent was shown.
    events = TicketEvent.objects.filter(ticket=ticket).timeline()

    def seen():
        return max((event.pk for event in events), default=0)

    return {
        "ticket": ticket,
        "now": timezone.now(),
        "clocks": ticket.clocks.running().order_by("due_at") if ticket.sla_terms else [],
        "handoff": ticket.handoffs.filter(acknowledged_at__isnull=True).select_related("created_by").first()
        if ticket.handoff_pending_since
        else None,
        "escalation_request": ticket.escalation_requests.filter(answered_at__isnull=True)
        .select_related("requested_by")
        .first()
        if ticket.escalation_requested_at
        else None,
        "escalate_form": escalate_form or EscalateForm(ticket=ticket),
        "deescalate_form": DeescalateForm(ticket=ticket),
        "answer_form": answer_form or AnswerEscalationForm(ticket=ticket),
        "events": events,
        "reply_form": reply_form or ReplyForm(initial={"seen_event_id": seen}),
        "fields_form": fields_form or _fields_form(ticket),
        "stale": stale,
        "refresh_seconds": settings.FIRSTLINE_QUEUE_REFRESH_SECONDS * 3,
        # Only a resolved or closed ticket can become an article; the permission is only looked up then.
        "may_capture": capture.is_capturable(ticket) and user is not None and capture.may_capture(user),
        # Callables: read only by the sidebar, which not every fragment renders.
        "triage": lambda: _triage_of(ticket),
        "triage_labels": TRIAGE_LABELS,
        "categories": lambda: list(Category.objects.only("pk", "name")),
        **_undo_context(user, ticket),
    }


def _undo_context(user, ticket):
    """The agent's last macro on this ticket while it can still be undone, and the seconds left."""
    now = timezone.now()
    undo = macros.latest_application(user, ticket, now) if user else None
    return {"undo": undo, "undo_seconds": undo.seconds_left(now) if undo else 0}


def _fields_form(ticket):
    return TicketFieldsForm(
        initial={
            "version": ticket.version,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category_id,
            "queue": ticket.queue_id,
            "assignee": ticket.assignee.username if ticket.assignee else "",
        }
    )


def _render_detail(request, ticket, **kwargs):
    return _dual(render(request, DETAIL_TEMPLATE, _detail_context(ticket, user=request.user, **kwargs)))


def _triage_of(ticket):
    """The ticket's triage record: read with the ticket by `with_detail`, else in one query; None without one."""
    try:
        return ticket.triage
    except TicketTriage.DoesNotExist:
        return None


def _render_fragments(request, ticket, *partials, event=None, **kwargs):
    """HTMX answer to an action: the first partial swaps its target, the others and
    the flash messages go out of band, and `event` tells the rest of the page."""
    context = _detail_context(ticket, user=request.user, **kwargs)
    html = "".join(
        render_to_string(f"{DETAIL_TEMPLATE}#{name}", {**context, "oob": i > 0}, request)
        for i, name in enumerate(partials)
    )
    response = HttpResponse(html + render_to_string("includes/messages.html", request=request))
    if event:
        trigger_client_event(response, event, {})
    return response


@agent_required
@require_GET
def ticket_detail(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    target = request.htmx.target if _wants_fragment(request) else None
    if target in DETAIL_PARTIALS:
        context = _detail_context(ticket, user=request.user)
        return _dual(render(request, f"{DETAIL_TEMPLATE}#{target}", context))
    slug = request.GET.get("template")
    if slug:
        # Without JavaScript, a chosen reply template arrives as ?template=… and fills the composer.
        template = MessageTemplate.objects.filter(slug=slug, kind="reply", is_active=True).first()
        if template is not None:
            body, _language = replies.render_reply(template, ticket, request.user)
            form = ReplyForm(initial={"body": body, "seen_event_id": services.latest_event_id(ticket)})
            return _render_detail(request, ticket, reply_form=form)
    return _render_detail(request, ticket)


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


@agent_required
@require_POST
def ticket_update(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = TicketFieldsForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _render_fragments(request, ticket, "ticket-sidebar", fields_form=form)
        return _render_detail(request, ticket, fields_form=form)
    try:
        services.update_ticket(request.user, ticket, expected_version=form.cleaned_data["version"], **form.changes())
        messages.success(request, _("Ticket updated."))
    except services.TicketConflict as conflict:
        messages.error(request, str(conflict))
    return _after_change(request, ref)


def _after_change(request, ref):
    """Show the ticket as it is now, whoever won: nothing stale stays on screen."""
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    ticket = get_ticket_for_agent(request.user, ref)
    return _render_fragments(request, ticket, "ticket-sidebar", event="ticketUpdated")


@agent_required
@require_POST
def ticket_reply(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
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
            return _composer(request, ticket, reply_form=_stale_form(request, ticket), stale=stale.messages)
        except services.NotAllowed as refusal:
            messages.error(request, str(refusal))
            return _composer(request, ticket, reply_form=form)
        messages.success(request, _("Internal note added.") if data["internal"] else _("Reply sent."))
        if not request.htmx:
            return redirect("helpdesk:ticket-detail", ref=ref)
        # A reply bumps the ticket's version (and may change its status): refresh the sidebar's form too.
        ticket = get_ticket_for_agent(request.user, ref)
        return _render_fragments(request, ticket, "ticket-composer", "ticket-sidebar", event="ticketUpdated")
    return _composer(request, ticket, reply_form=form)


def _composer(request, ticket, **kwargs):
    """The composer again, with the agent's draft: alone for HTMX, in the whole page otherwise."""
    if request.htmx:
        return _render_fragments(request, ticket, "ticket-composer", **kwargs)
    return _render_detail(request, ticket, **kwargs)


def _stale_form(request, ticket):
    """The draft as typed, now marked as having seen the newest messages."""
    data = request.POST.copy()
    data["seen_event_id"] = services.latest_event_id(ticket)
    data.pop("force", None)
    form = ReplyForm(data)
    form.is_valid()
    return form


# --- service levels and escalation ------------------------------------------------------------


def _escalation_done(request, ref, message):
    messages.success(request, message)
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    ticket = get_ticket_for_agent(request.user, ref)
    return _render_fragments(request, ticket, "ticket-escalation", "ticket-sidebar", event="ticketUpdated")


def _escalation_refused(request, ticket, **forms):
    if request.htmx:
        return _render_fragments(request, ticket, "ticket-escalation", **forms)
    return _render_detail(request, ticket, **forms)


@agent_required
@require_POST
def ticket_escalate(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = EscalateForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _escalation_refused(request, ticket, escalate_form=form)
    data = form.cleaned_data
    try:
        escalation.escalate_ticket(request.user, ticket, **data)
    except services.NotAllowed as refusal:
        form.add_error(None, str(refusal))
        return _escalation_refused(request, ticket, escalate_form=form)
    return _escalation_done(
        request, ref, _("Escalated to %(level)s.") % {"level": SupportLevel(data["to_level"]).label}
    )


@agent_required
@require_POST
def ticket_deescalate(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = DeescalateForm(request.POST, ticket=ticket)
    if form.is_valid():
        try:
            escalation.deescalate_ticket(request.user, ticket, **form.cleaned_data)
            return _escalation_done(request, ref, _("Handed back to a lower level."))
        except services.NotAllowed as refusal:
            messages.error(request, str(refusal))
    else:
        for error in (error for errors in form.errors.values() for error in errors):
            messages.error(request, error)
    return _escalation_refused(request, ticket)


@agent_required
@require_POST
def ticket_acknowledge(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    escalation.acknowledge_handoff(request.user, ticket)
    return _escalation_done(request, ref, _("Handoff acknowledged."))


@agent_required
@require_POST
def ticket_answer_escalation(request, ref):
    ticket = get_ticket_for_agent(request.user, ref)
    form = AnswerEscalationForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _escalation_refused(request, ticket, answer_form=form)
    try:
        services.answer_escalation_request(
            request.user,
            ticket,
            answer=form.cleaned_data["answer"],
            escalate_to=form.cleaned_data["escalate_to"],
            package=form.package(),
        )
    except services.NotAllowed as refusal:
        form.add_error(None, str(refusal))
        return _escalation_refused(request, ticket, answer_form=form)
    return _escalation_done(request, ref, _("The customer has your answer."))


@agent_required
@require_GET
def ticket_sla(request, ref):
    """Why each target is due when it is: loaded on demand into the ticket page."""
    ticket = get_ticket_for_agent(request.user, ref)
    context = {"ticket": ticket, "explanation": clocks.explain(ticket), "now": timezone.now()}
    return render(request, "helpdesk/ticket_sla.html", context)


# --- reply templates --------------------------------------------------------------------------


@agent_required
@require_GET
def ticket_templates(request, ref):
    """The reply templates that fit this ticket, searchable by name (an HTMX list)."""
    ticket = get_ticket_for_agent(request.user, ref)
    context = {"ticket": ticket, "templates": replies.templates_for(ticket, request.GET.get("q", ""))}
    return render(request, "helpdesk/ticket_templates.html", context)


@agent_required
@require_GET
def ticket_template_use(request, ref, slug):
    """A template rendered for this ticket in the customer's language, put in the composer after any draft."""
    ticket = get_ticket_for_agent(request.user, ref)
    template = get_object_or_404(MessageTemplate, slug=slug, kind="reply", is_active=True)
    text, language = replies.render_reply(template, ticket, request.user)
    draft = request.GET.get("body", "").rstrip()
    if not request.htmx:
        return redirect(f"{reverse('helpdesk:ticket-detail', args=[ref])}?template={slug}")
    context = {
        "ticket": ticket,
        "body": f"{draft}\n\n{text}" if draft else text,
        "fallback": language != ticket.language,
        "language_label": dict(settings.LANGUAGES).get(ticket.language, ticket.language),
    }
    return render(request, "helpdesk/ticket_composer_body.html", context)


# --- macros ----------------------------------------------------------------------------------


@agent_required
@require_GET
def ticket_macros(request, ref):
    """The macros that fit this ticket, searchable by name (an HTMX list), each marked when its reply lacks
    the customer's language."""
    ticket = get_ticket_for_agent(request.user, ref)
    found = list(Macro.objects.for_ticket(ticket, request.GET.get("q", ""))[: replies.LIST_LIMIT])
    language = ticket.language.replace("-", "_")
    for macro in found:
        template = macro.reply_template
        macro.needs_fallback = bool(template) and not getattr(template, f"body_{language}", "")
    context = {"ticket": ticket, "macros": found, "language_label": _language_label(ticket)}
    template = "helpdesk/ticket_macros.html" + ("#macro-list" if _wants_fragment(request) else "")
    return _dual(render(request, template, context))


def _language_label(ticket):
    return dict(settings.LANGUAGES).get(ticket.language, ticket.language)


def _macro_preview(request, ticket, macro):
    context = {
        "ticket": ticket,
        "macro": macro,
        "preview": macros.preview_macro(request.user, ticket, macro),
        "language_label": _language_label(ticket),
    }
    if request.htmx:
        response = render(request, "helpdesk/ticket_macro_preview.html#macro-preview", context)
        return retarget(response, "#macro-preview")
    return _dual(render(request, "helpdesk/ticket_macro_preview.html", context))


@agent_required
@require_GET
def ticket_macro_preview(request, ref, pk):
    """What a macro would do to this ticket, with its reply as the customer would get it."""
    ticket = get_ticket_for_agent(request.user, ref)
    return _macro_preview(request, ticket, get_object_or_404(Macro, pk=pk, is_active=True))


@agent_required
@require_POST
def ticket_macro_apply(request, ref, pk):
    ticket = get_ticket_for_agent(request.user, ref)
    macro = get_object_or_404(Macro, pk=pk, is_active=True)
    version = request.POST.get("version", "")
    try:
        macros.apply_macro(
            request.user,
            ticket,
            macro,
            expected_version=int(version) if version.isdigit() else None,
            accept_fallback=request.POST.get("accept_fallback") == "1",
        )
    except macros.TranslationMissing:
        # Nothing was applied: the agent sees the English text and the notice first.
        return _macro_preview(request, ticket, macro)
    except (services.NotAllowed, services.TicketConflict) as refusal:
        messages.error(request, str(refusal))
    return _after_macro(request, ref)


@agent_required
@require_POST
def ticket_macro_undo(request, ref, pk):
    ticket = get_ticket_for_agent(request.user, ref)
    application = get_object_or_404(MacroApplication, pk=pk, ticket=ticket, actor=request.user)
    try:
        macros.undo_macro(request.user, application)
        messages.success(request, _("Undone: “%(macro)s”. Nothing was sent.") % {"macro": application.macro_name})
    except (services.NotAllowed, services.TicketConflict) as refusal:
        messages.error(request, str(refusal))
    return _after_macro(request, ref)


def _after_macro(request, ref):
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    ticket = get_ticket_for_agent(request.user, ref)
    response = _render_fragments(request, ticket, "ticket-undo", "ticket-sidebar", "ticket-timeline")
    # A preview that led here has done its job.
    response.content += b'<div id="macro-preview" hx-swap-oob="true"></div>'
    return response


# --- reminders -----------------------------------------------------------------------------------


@agent_required
@require_GET
def reminder_list(request):
    """The agent's reminders: those still to come and those that fired and are not dismissed."""
    found = TicketReminder.objects.for_workspace(request.user)
    return render(request, "helpdesk/reminder_list.html", {"reminders": found, "now": timezone.now()})


@agent_required
@require_POST
def reminder_dismiss(request, pk):
    reminder = get_object_or_404(TicketReminder, pk=pk, agent=request.user)
    reminders.dismiss_reminder(request.user, reminder)
    messages.success(request, _("Reminder dismissed."))
    if not request.htmx:
        return redirect("helpdesk:reminder-list")
    found = TicketReminder.objects.for_workspace(request.user)
    html = render_to_string(
        "helpdesk/reminder_list.html#reminder-list", {"reminders": found, "now": timezone.now()}, request
    )
    return HttpResponse(html + render_to_string("includes/messages.html", request=request))


# --- deliveries -----------------------------------------------------------------------------------


def _deliveries(ticket):
    return list(OutboundMessage.objects.for_reference(ticket.ref).order_by("-created_at", "-pk")[:DELIVERY_LIMIT])


@agent_required
@require_GET
def ticket_deliveries(request, ref):
    """Every message sent about this ticket, with its delivery state: loaded on demand."""
    ticket = get_ticket_for_agent(request.user, ref)
    return render(request, "helpdesk/ticket_deliveries.html", {"ticket": ticket, "deliveries": _deliveries(ticket)})


@agent_required
@require_POST
def ticket_delivery_retry(request, ref, pk):
    """Send a failed message about this ticket again."""
    ticket = get_ticket_for_agent(request.user, ref)
    message = get_object_or_404(OutboundMessage.objects.for_reference(ticket.ref), pk=pk)
    if comms_services.retry_message(request.user, message):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.info(request, _("Only a message that failed can be sent again."))
    if not request.htmx:
        return redirect("helpdesk:ticket-detail", ref=ref)
    html = render_to_string(
        "helpdesk/ticket_deliveries.html", {"ticket": ticket, "deliveries": _deliveries(ticket)}, request
    )
    return HttpResponse(html + render_to_string("includes/messages.html", request=request))

"""The customer portal: an organization's tickets, opening one, and its public conversation."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from comms import services as comms_services
from comms.models import PortalNotification
from knowledge import search as kb_search
from knowledge import services as kb_services
from knowledge.access import get_article_for_reader
from knowledge.views import reader_language

from . import escalation, services
from .access import customer_required, get_notification_for_customer, get_ticket_for_customer
from .forms import ContactPreferencesForm, DeflectionForm, EscalationRequestForm, ReplyForm, TicketCreateForm
from .models import DONE_STATUSES, OPEN_STATUSES, Ticket, TicketEvent

PORTAL_FILTERS = {"open": OPEN_STATUSES, "closed": DONE_STATUSES}
# Whose tickets an organization admin lists; other customers only ever see their own.
PORTAL_SCOPES = ("organization", "mine")
# The portal page shows this many of the latest notifications.
NOTIFICATIONS_SHOWN = 10
# Articles suggested while a customer writes a new ticket.
SUGGESTIONS_SHOWN = 5
# What the new-ticket form keeps when the customer asks for suggestions without JavaScript.
TICKET_FORM_FIELDS = ("subject", "description", "category", "priority")
TYPED_CHARS = 2000


@customer_required
@require_GET
def ticket_list(request):
    show = request.GET.get("show", "open")
    tickets = Ticket.objects.for_customer(request.user).search(request.GET.get("q", "")[:100])
    scope = None
    if request.user.is_org_admin:
        scope = request.GET.get("scope", "organization")
        if scope not in PORTAL_SCOPES:
            scope = "organization"
        if scope == "mine":
            tickets = tickets.requested_by(request.user)
    if show in PORTAL_FILTERS:
        tickets = tickets.filter(status__in=PORTAL_FILTERS[show])
    else:
        show = "all"
    tickets = tickets.select_related("requester", "assignee").order_by("-updated_at", "-pk")
    page = Paginator(tickets, settings.FIRSTLINE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "scope": scope,
        "q": request.GET.get("q", ""),
        **_notifications(request.user),
    }
    return render(request, "helpdesk/portal/ticket_list.html", context)


def _notifications(user):
    return {"notifications": list(PortalNotification.objects.for_user(user.pk)[:NOTIFICATIONS_SHOWN])}


def _notifications_changed(request):
    """After marking read: the fresh list (and nav count) for HTMX, the portal page otherwise."""
    if not request.htmx:
        return redirect(reverse("portal:ticket-list") + "#portal-notifications")
    response = render(request, "helpdesk/portal/ticket_list.html#portal-notifications", _notifications(request.user))
    trigger_client_event(response, "notificationsRead", {})
    return response


@customer_required
@require_POST
def notification_read(request, pk):
    """The customer has read one of their notifications."""
    notification = get_notification_for_customer(request.user, pk)
    comms_services.mark_notification_read(request.user.pk, notification)
    return _notifications_changed(request)


@customer_required
@require_POST
def notification_read_all(request):
    comms_services.mark_all_notifications_read(request.user.pk)
    return _notifications_changed(request)


@customer_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = services.create_ticket(
            request.user,
            requester=request.user,
            subject=data["subject"],
            description=data["description"],
            priority=data["priority"],
            category=data["category"],
            channel="web",
            attachments=data["attachments"],
        )
        messages.success(request, _("Ticket %(ref)s opened. We have emailed you a confirmation.") % {"ref": ticket.ref})
        return redirect(ticket.get_portal_url())
    return render(request, "helpdesk/portal/ticket_form.html", {"form": form})


def suggestion_query(data):
    """What to look up for a ticket being written: its subject, or the description while there is no
    subject yet. Every word of a search must match, so adding the description would hide answers."""
    subject = " ".join(data.get("subject", "").split())
    return (subject or " ".join(data.get("description", "").split()))[: kb_search.MAX_QUERY]


@customer_required
@require_http_methods(["GET", "POST"])
def ticket_suggestions(request):
    """Articles that may answer the ticket being written: the list for HTMX, the form again without JavaScript."""
    if request.method == "POST":
        return _suggestions_page(request)
    query = suggestion_query(request.GET)
    context = {"query": query, "suggestions": None, "limited": False}
    status = 200
    if query and kb_search.search_rate_exceeded(f"u:{request.user.pk}"):
        context["limited"], status = True, 429
    elif query:
        context["suggestions"] = kb_search.suggest(
            query, language=reader_language(request), user=request.user, limit=SUGGESTIONS_SHOWN
        )
    if request.htmx:
        template = "helpdesk/portal/ticket_form.html#ticket-suggestions"
    else:
        template = "helpdesk/portal/ticket_form.html"
        typed = {name: request.GET[name] for name in TICKET_FORM_FIELDS if request.GET.get(name)}
        context["form"] = TicketCreateForm(initial=typed)
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _suggestions_page(request):
    """Without JavaScript the ticket form itself asks for suggestions, and a form carries its CSRF
    token: posted here, it is sent on to a plain GET with only what the customer typed, so the
    token never lands in a URL (history, logs)."""
    typed = {name: request.POST.get(name, "")[:TYPED_CHARS] for name in TICKET_FORM_FIELDS if request.POST.get(name)}
    return redirect(f"{reverse('portal:ticket-suggestions')}?{urlencode(typed)}")


@customer_required
@require_POST
def ticket_deflect(request):
    """The customer says a suggested article answered them: count the deflection, open no ticket."""
    form = DeflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose the article that answered your question."))
        return redirect("portal:ticket-create")
    article = get_article_for_reader(request.user, form.cleaned_data["article"])
    kb_services.record_deflection(article, user=request.user, query=form.cleaned_data["query"])
    return redirect("portal:ticket-deflected", slug=article.slug)


@customer_required
@require_GET
def ticket_deflected(request, slug):
    article = get_article_for_reader(request.user, slug)
    context = {"article": article, "content": article.content_in(reader_language(request))}
    return render(request, "helpdesk/portal/ticket_deflected.html", context)


def _render_detail(request, ticket, *, reply_form=None, stale=None, partial=None):
    events = list(TicketEvent.objects.filter(ticket=ticket).visible_to_customer(timezone.now()).timeline())
    context = {
        "ticket": ticket,
        "events": events,
        "reply_form": reply_form or ReplyForm(initial={"seen_event_id": _latest_public(events)}),
        "stale": stale,
    }
    template = "helpdesk/portal/ticket_detail.html" + (f"#{partial}" if partial else "")
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _latest_public(events):
    return max((e.pk for e in events), default=0)


@customer_required
@require_GET
def ticket_detail(request, ref):
    ticket = get_ticket_for_customer(request.user, ref)
    return _render_detail(request, ticket)


@customer_required
@require_POST
def ticket_reply(request, ref):
    ticket = get_ticket_for_customer(request.user, ref)
    form = ReplyForm(request.POST, request.FILES)
    partial = "portal-conversation" if request.htmx else None
    if not form.is_valid():
        return _render_detail(request, ticket, reply_form=form, partial=partial)
    data = form.cleaned_data
    try:
        services.reply_to_ticket(
            request.user,
            ticket,
            body=data["body"],
            internal=False,
            attachments=data["attachments"],
            seen_event_id=data["seen_event_id"],
            force=data["force"],
        )
    except services.StaleReply as stale:
        draft = request.POST.copy()
        draft["seen_event_id"] = services.latest_event_id(ticket)
        draft.pop("force", None)
        return _render_detail(request, ticket, reply_form=ReplyForm(draft), stale=stale.messages, partial=partial)
    except services.NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_detail(request, ticket, reply_form=form, partial=partial)
    messages.success(request, _("Your reply has been sent."))
    if not request.htmx:
        return redirect(ticket.get_portal_url())
    response = _render_detail(request, get_ticket_for_customer(request.user, ref), partial=partial)
    trigger_client_event(response, "ticketReplied", {})
    return response


@customer_required
@require_POST
def ticket_close(request, ref):
    ticket = get_ticket_for_customer(request.user, ref)
    services.close_ticket(request.user, ticket)
    messages.success(request, _("Ticket %(ref)s is closed. You can reopen it at any time.") % {"ref": ticket.ref})
    return redirect(ticket.get_portal_url())


@customer_required
@require_POST
def ticket_reopen(request, ref):
    ticket = get_ticket_for_customer(request.user, ref)
    services.reopen_ticket(request.user, ticket)
    messages.success(request, _("Ticket %(ref)s is open again.") % {"ref": ticket.ref})
    return redirect(ticket.get_portal_url())


@customer_required
@require_POST
def ticket_escalate(request, ref):
    """The customer asks for escalation, with a reason; the team must answer it."""
    ticket = get_ticket_for_customer(request.user, ref)
    form = EscalationRequestForm(request.POST)
    if form.is_valid():
        try:
            escalation.request_escalation(request.user, ticket, reason=form.cleaned_data["reason"])
            messages.success(request, _("We have your request; the team will answer it on this ticket."))
        except services.NotAllowed as refusal:
            messages.error(request, str(refusal))
    else:
        for error in (error for errors in form.errors.values() for error in errors):
            messages.error(request, error)
    return redirect(ticket.get_portal_url())


@customer_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """How the customer wants to hear from us."""
    user = request.user
    initial = {
        "language": user.language,
        "time_zone": user.time_zone,
        "preferred_channel": user.preferred_channel,
        "backup_channel": user.backup_channel,
        "phone": user.phone,
    }
    form = ContactPreferencesForm(request.POST or None, initial=initial, tier=user.organization.tier)
    if request.method == "POST" and form.is_valid():
        services.update_contact_preferences(user, user, **form.cleaned_data)
        translation.activate(user.language)
        messages.success(request, _("Your preferences are saved."))
        return redirect("portal:preferences")
    return render(request, "helpdesk/portal/preferences_form.html", {"form": form})

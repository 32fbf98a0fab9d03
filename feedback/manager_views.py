"""Managers' and reviewers' pages: the feedback analysis, its CSV, the dashboard panel, the review queue,
and each agent's own reviews."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk import reports as helpdesk_reports
from helpdesk.access import agent_required
from helpdesk.agent_views import _dual, _wants_fragment
from helpdesk.forms_manager import DashboardFilterForm
from helpdesk.manager_views import _cell, manager_required
from helpdesk.models import Ticket, TicketEvent

from . import reports, services
from .forms import FeedbackFilterForm, ReviewForm
from .models import QualityReview, Response, ReviewCriterion, ReviewItem, ReviewReason, ReviewScore

TEMPLATE = "feedback/manager/feedback.html"
DEFAULT_PERIOD = "90"
PAGE_SIZE = 25


def _filters(request, form_class=FeedbackFilterForm):
    choices = helpdesk_reports.filter_choices()
    data = request.GET.copy()
    data.setdefault("period", DEFAULT_PERIOD)
    data.setdefault("unit", "week")
    form = form_class(data, **choices)
    if not form.is_valid():
        for message in form.error_messages():
            messages.warning(request, message)
    return form, form.filters(timezone.now()), choices


@manager_required
@require_GET
def feedback_page(request):
    form, filters, choices = _filters(request)
    unit = form.cleaned_data.get("unit") or "week"
    report = reports.page(filters, unit=unit)
    context = {
        "form": form,
        "filters": filters,
        "report": report,
        "unit": unit,
        "targets": services.SurveySettings.current(),
    }
    if _wants_fragment(request):
        body = render_to_string(f"{TEMPLATE}#feedback-body", context, request)
        return _dual(HttpResponse(body + render_to_string("includes/messages.html", request=request)))
    return _dual(render(request, TEMPLATE, context))


@manager_required
@require_GET
def feedback_panel(request):
    """The SLA dashboard's compact panel, fetched by HTMX with the dashboard's own filters."""
    _form, filters, _choices = _filters(request, DashboardFilterForm)
    return render(
        request, "feedback/manager/panel.html", {"panel": reports.panel(filters), "query": request.GET.urlencode()}
    )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = (
    "created_at",
    "kind",
    "score",
    "ticket_id",
    "agent__username",
    "team__name",
    "tier__name",
    "category__name",
    "language",
    "channel",
    "theme__name",
    "comment",
)


@manager_required
@require_GET
def feedback_export(request):
    """Every answer of the filtered period as CSV, streamed in chunks (never the whole set in memory)."""
    _form, filters, _choices = _filters(request)
    rows = Response.objects.in_period(filters).order_by("created_at", "pk").values_list(*EXPORT_COLUMNS)
    header = [_("Answered"), _("Survey"), _("Score"), _("Ticket"), _("Agent"), _("Team"), _("Tier"), _("Category")]
    header += [_("Language"), _("Channel"), _("Theme"), _("Comment")]
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for created, kind, score, ticket_id, *rest in rows.iterator(chunk_size=2000):
            ref = Ticket.ref_for(ticket_id) if ticket_id else ""
            yield writer.writerow([_cell(v) for v in (created.isoformat(), kind, score, ref, *rest)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime(filters.start):%Y%m%d}-{timezone.localtime(filters.end):%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="firstline-feedback-{stamp}.csv"'
    return response


# --- review queue -------------------------------------------------------------------------------


@manager_required
@require_GET
def review_list(request):
    show = request.GET.get("show", "waiting")
    reason = request.GET.get("reason", "")
    items = ReviewItem.objects.with_queue_columns()
    items = items.filter(reviewed_at__isnull=show != "done")
    if reason in ReviewReason.values:
        items = items.filter(reason=reason)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "show": show, "reason": reason, "reasons": ReviewReason.choices}
    if _wants_fragment(request):
        return _dual(render(request, "feedback/manager/reviewitem_list.html#review-queue", context))
    return _dual(render(request, "feedback/manager/reviewitem_list.html", context))


@manager_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk):
    item = get_object_or_404(ReviewItem.objects.select_related("ticket", "agent", "response", "review"), pk=pk)
    criteria = list(ReviewCriterion.objects.filter(is_active=True))
    form = ReviewForm(request.POST or None, criteria=criteria)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_review(request.user, item, scores=form.scores(), notes=form.cleaned_data["notes"])
        except services.NotAllowed as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Review of %(ref)s saved.") % {"ref": item.ticket.ref})
            return redirect("feedback:review-list")
    events = TicketEvent.objects.filter(ticket=item.ticket).timeline()
    context = {"item": item, "form": form, "events": events, "review": getattr(item, "review", None)}
    return render(request, "feedback/manager/reviewitem_detail.html", context)


@agent_required
@require_GET
def agent_reviews(request):
    """An agent's own quality reviews, newest first, with each checklist line."""
    reviews = (
        QualityReview.objects.filter(agent=request.user)
        .select_related("ticket", "reviewer")
        .prefetch_related(Prefetch("scores", ReviewScore.objects.select_related("criterion")))
    )
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/agent_reviews.html", {"page": page})

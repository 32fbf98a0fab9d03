"""The post-incident review page: timeline, the written review, follow-up tasks and the communications report."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.access import agent_required

from . import reviews
from .forms import FollowUpTaskForm, ReviewForm
from .models import FollowUpTask, IncidentEvent
from .services import IncidentError
from .views import get_incident_for_agent

TEMPLATE = "incidents/postincidentreview_detail.html"


def _page(request, incident, *, form=None, task_form=None, status=200):
    review = reviews.review_for(incident)
    context = {
        "incident": incident,
        "review": review,
        "form": form
        or ReviewForm(initial={f: getattr(review, f) for f in ("summary", "root_cause", "actions_taken", "lessons")}),
        "task_form": task_form or FollowUpTaskForm(),
        "tasks": FollowUpTask.objects.filter(review=review).select_related("owner") if review.pk else [],
        "timeline": IncidentEvent.objects.filter(incident=incident).select_related("actor", "update"),
        "report": reviews.communications_report(incident),
    }
    return render(request, TEMPLATE, context, status=status)


def _here(incident):
    return redirect(reverse("incidents:review-detail", args=[incident.ref]))


@agent_required
@require_http_methods(["GET", "POST"])
def review_detail(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    if request.method == "GET":
        return _page(request, incident)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            reviews.save_review(request.user, incident, complete="complete" in request.POST, **form.cleaned_data)
        except IncidentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Review completed.") if "complete" in request.POST else _("Review saved."))
            return _here(incident)
    return _page(request, incident, form=form, status=200)


@agent_required
@require_POST
def review_task_add(request, ref):
    incident = get_incident_for_agent(request.user, ref)
    form = FollowUpTaskForm(request.POST)
    if form.is_valid():
        try:
            reviews.add_follow_up_task(request.user, incident, **form.cleaned_data)
        except IncidentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Task added."))
            return _here(incident)
    return _page(request, incident, task_form=form, status=200)


@agent_required
@require_POST
def review_task_done(request, ref, pk):
    incident = get_incident_for_agent(request.user, ref)
    task = get_object_or_404(FollowUpTask, pk=pk, review__incident=incident)
    reviews.complete_follow_up_task(request.user, task)
    return _here(incident)

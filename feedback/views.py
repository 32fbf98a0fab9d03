"""The customer's side: answering a survey from an emailed link or the portal, opting out.

A GET never records anything (mail scanners fetch links to check them): the
link's score only preselects the answer on the page, and a POST records it.
Refusals are friendly pages with a fitting status: 404 for a link we do not
know (or whose score was edited), 410 for one answered or expired, 403 when
someone else is signed in.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.access import customer_required

from . import services
from .emails import score_is_signed
from .forms import SurveyForm, SurveyPreferenceForm
from .models import Invitation
from .services import SurveyRefused


def _refused(request, refusal):
    return render(request, "feedback/survey_refused.html", {"refusal": refusal}, status=refusal.status)


def _unknown_link():
    return SurveyRefused(
        _("We do not recognise this survey link. It may have been copied incompletely."), status=404, code="unknown"
    )


def _survey_page(request, invitation, *, preselected=None):
    """The survey for `invitation`: GET shows it (score preselected), POST records the answer."""
    try:
        services.check_answerer(request.user, invitation)
        refusal = services.refusal_for(invitation, timezone.now())
        if refusal:
            raise refusal
        form = SurveyForm(request.POST or None, kind=invitation.kind, initial={"score": preselected})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            actor = request.user if request.user.is_authenticated else None
            services.answer_survey(actor, invitation, **data)
            return redirect("feedback:survey-thanks")
    except SurveyRefused as refusal:
        return _refused(request, refusal)
    return render(request, "feedback/survey_form.html", {"form": form, "invitation": invitation})


@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer(request, token):
    invitation = Invitation.objects.by_token(token).select_related("ticket").first()
    if invitation is None:
        return _refused(request, _unknown_link())
    preselected = None
    if request.method == "GET" and "score" in request.GET:
        score = request.GET["score"][:3]
        if not score_is_signed(token, score, request.GET.get("sig", "")[:40]):
            return _refused(request, _unknown_link())
        preselected = int(score)
    return _survey_page(request, invitation, preselected=preselected)


@never_cache
@customer_required
@require_http_methods(["GET", "POST"])
def survey_portal(request, pk):
    """The same survey reached from the portal: the signed-in customer is the token."""
    invitation = get_object_or_404(Invitation.objects.select_related("ticket"), pk=pk, person=request.user)
    preselected = request.GET.get("score", "")[:3]
    return _survey_page(request, invitation, preselected=int(preselected) if preselected.isdigit() else None)


@require_GET
def survey_thanks(request):
    return render(request, "feedback/survey_thanks.html")


@never_cache
@require_http_methods(["GET", "POST"])
def survey_opt_out(request, token):
    invitation = Invitation.objects.by_token(token).select_related("person").first()
    if invitation is None:
        return _refused(request, _unknown_link())
    done = invitation.opted_out_at is not None
    if request.method == "POST":
        try:
            services.opt_out(
                request.user if request.user.is_authenticated else None, invitation.person, invitation=invitation
            )
        except SurveyRefused as refusal:
            return _refused(request, refusal)
        done = True
    return render(request, "feedback/survey_opt_out.html", {"done": done, "token": token})


@customer_required
@require_POST
def survey_preference(request):
    form = SurveyPreferenceForm(request.POST)
    if form.is_valid():
        services.set_survey_preference(request.user, request.user, receive=form.cleaned_data["receive"])
        messages.success(request, _("Your survey preference is saved."))
    return redirect("portal:preferences")

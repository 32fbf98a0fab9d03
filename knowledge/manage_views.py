"""The editors' workspace: articles by status, reviews due, content gaps, writing and publishing."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .access import can_publish, editor_required, get_article_for_editor
from .diff import diff_versions
from .forms import ArticleFilterForm, ArticleForm, VersionDiffForm
from .models import Article, ArticleFeedback, ArticleVersion, Deflection, SearchLog, Status

GAP_DAYS = 30

# The submit button's name says which transition the editor asked for.
TRANSITIONS = {
    "submit": (services.submit_for_review, gettext_lazy("Submitted for review.")),
    "return": (services.return_to_draft, gettext_lazy("Sent back to draft.")),
    "publish": (services.publish_article, gettext_lazy("Approved and published.")),
    "archive": (services.archive_article, gettext_lazy("Archived: readers no longer see it.")),
    "restore": (services.restore_article, gettext_lazy("Restored as a draft.")),
    "reviewed": (services.mark_reviewed, gettext_lazy("Marked as reviewed; the next review is scheduled.")),
}


@editor_required
@require_GET
def article_list(request):
    form = ArticleFilterForm(request.GET or None)
    articles = Article.objects.with_people().order_by("-updated_at", "-pk")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            articles = articles.filter(status=data["status"])
        if data["category"]:
            articles = articles.filter(category=data["category"])
        if data["audience"]:
            articles = articles.filter(category__audience=data["audience"])
        if data["q"]:
            articles = articles.filter(title_en__icontains=data["q"])
    counts = dict(Article.objects.order_by().values_list("status").annotate(n=Count("pk")))
    page = Paginator(articles, 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "counts": [(s, label, counts.get(s, 0)) for s, label in Status.choices]}
    return render(request, "knowledge/manage/article_list.html", context)


@editor_required
@require_GET
def needs_review(request):
    """Published articles whose review date has come: still right, or in need of an update?"""
    articles = Article.objects.needing_review().with_people()
    waiting = Article.objects.filter(status=Status.IN_REVIEW).with_people().order_by("updated_at")
    return render(request, "knowledge/manage/needs_review.html", {"overdue": articles[:100], "waiting": waiting[:100]})


@editor_required
@require_GET
def content_gaps(request):
    """What readers looked for and did not find, and the articles that did not help them (30 days)."""
    since = timezone.now() - timedelta(days=GAP_DAYS)
    zero_results = (
        SearchLog.objects.filter(created_at__gte=since, result_count=0)
        .values("normalized")
        .annotate(searches=Count("pk"), last=Max("created_at"))
        .order_by("-searches", "normalized")[:20]
    )
    recent = Q(feedback__created_at__gte=since)
    unhelpful = (
        Article.objects.with_category()
        .annotate(
            no_votes=Count("feedback", filter=recent & Q(feedback__helpful=False)),
            yes_votes=Count("feedback", filter=recent & Q(feedback__helpful=True)),
        )
        .filter(no_votes__gt=0)
        .order_by("-no_votes", "yes_votes", "pk")[:20]
    )
    comments = (
        ArticleFeedback.objects.filter(created_at__gte=since, helpful=False)
        .exclude(comment="")
        .select_related("article")[:20]
    )
    # The other side of the picture: questions the knowledge base answered before a ticket was needed.
    deflecting = (
        Article.objects.annotate(deflected=Count("deflections", filter=Q(deflections__created_at__gte=since)))
        .filter(deflected__gt=0)
        .order_by("-deflected", "pk")[:10]
    )
    context = {
        "zero_results": zero_results,
        "unhelpful": unhelpful,
        "comments": comments,
        "days": GAP_DAYS,
        "deflection_count": Deflection.objects.filter(created_at__gte=since).count(),
        "deflecting": deflecting,
    }
    return render(request, "knowledge/manage/content_gaps.html", context)


@editor_required
@require_http_methods(["GET", "POST"])
def article_create(request):
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        article = form.save(commit=False)
        article = services.save_article(request.user, article, related=form.cleaned_data["related_slugs"])
        messages.success(request, _("Draft saved."))
        return redirect("knowledge:manage-article-edit", article.pk)
    return render(request, "knowledge/manage/article_form.html", {"form": form, "article": None})


@editor_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk):
    article = get_article_for_editor(request.user, pk)
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_article(request.user, form.save(commit=False), related=form.cleaned_data["related_slugs"])
        except services.NotAllowed as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:manage-article-edit", article.pk)
    context = {"form": form, "article": article, "may_publish": can_publish(request.user)}
    return render(request, "knowledge/manage/article_form.html", context)


@editor_required
@require_POST
def article_transition(request, pk):
    article = get_article_for_editor(request.user, pk)
    action = next((name for name in TRANSITIONS if name in request.POST), None)
    if action is None:
        raise Http404
    service, done = TRANSITIONS[action]
    try:
        service(request.user, article)
    except services.NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return redirect("knowledge:manage-article-edit", pk=article.pk)


@editor_required
@require_GET
def article_history(request, pk):
    article = get_article_for_editor(request.user, pk)
    versions = list(ArticleVersion.objects.filter(article=article).select_related("created_by"))
    form = VersionDiffForm(request.GET or None)
    changes = None
    if form.is_valid():
        by_number = {v.number: v for v in versions}
        old, new = by_number.get(form.cleaned_data["old"]), by_number.get(form.cleaned_data["new"])
        if old is None or new is None:
            form.add_error(None, _("Choose two versions of this article."))
        else:
            changes = diff_versions(old, new)
    elif len(versions) >= 2 and not request.GET:
        form = VersionDiffForm(initial={"old": versions[1].number, "new": versions[0].number})
        changes = diff_versions(versions[1], versions[0])
    context = {"article": article, "versions": versions, "form": form, "changes": changes}
    return render(request, "knowledge/manage/article_history.html", context)

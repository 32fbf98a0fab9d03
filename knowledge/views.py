"""The knowledge base readers see: categories, articles, search, "was this helpful?"."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from . import search as kb_search
from . import services
from .access import audiences_for, get_article_for_reader, get_category_for_reader
from .forms import FeedbackForm, SearchForm
from .models import Article, ArticleFeedback, Category

PAGE_SIZE = 10
LIST_SIZE = 5


def reader_language(request):
    codes = {code for code, _name in settings.LANGUAGES}
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    return language if language in codes else settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def client_key(request):
    """Who is searching, for the rate limit: the user, or the address of an anonymous visitor."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


@require_GET
def category_list(request):
    """The knowledge base's front page: categories, popular and recent articles, search."""
    audiences = audiences_for(request.user)
    visible = Article.objects.visible_to(audiences).with_category()
    context = {
        "categories": [c for c in Category.objects.visible_to(audiences).with_article_counts() if c.article_count],
        "popular": visible.popular()[:LIST_SIZE],
        "recent": visible.recent()[:LIST_SIZE],
        "form": SearchForm(),
    }
    return render(request, "knowledge/category_list.html", context)


@require_GET
def category_detail(request, slug):
    category = get_category_for_reader(request.user, slug)
    articles = Article.objects.visible_to(audiences_for(request.user)).filter(category=category).popular()
    page = Paginator(articles, 25).get_page(request.GET.get("page"))
    return render(request, "knowledge/category_detail.html", {"category": category, "page": page, "form": SearchForm()})


@require_GET
def search(request):
    """Search results: a full page, or the results fragment for search-as-you-type."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    template = "knowledge/search.html" + ("#search-results" if request.htmx else "")
    context = {"form": form, "query": query, "results": None, "limited": False}
    status = 200
    if query and kb_search.search_rate_exceeded(client_key(request)):
        context["limited"], status = True, 429
    elif query:
        page_number = _page_number(request)
        context["results"] = kb_search.search_articles(
            query,
            language=reader_language(request),
            audiences=audiences_for(request.user),
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
            user=request.user,
            client_key=client_key(request),
        )
        context["page_number"], context["first_rank"] = page_number, (page_number - 1) * PAGE_SIZE + 1
        context["has_next"] = context["results"].total > page_number * PAGE_SIZE
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page_number(request):
    try:
        return max(1, min(int(request.GET.get("page", 1)), 50))
    except ValueError:
        return 1


def _feedback_of(request, article):
    if request.user.is_authenticated:
        return ArticleFeedback.objects.filter(article=article, user=request.user).first()
    if request.session.session_key:
        return ArticleFeedback.objects.filter(
            article=article, user=None, session_key=request.session.session_key
        ).first()
    return None


@require_GET
def article_detail(request, slug):
    article = get_article_for_reader(request.user, slug)
    language = reader_language(request)
    content = article.content_in(language)
    related = (
        article.related.visible_to(audiences_for(request.user)).exclude(pk=article.pk).with_category().order_by("pk")
    )
    services.record_view(article)
    context = {
        "article": article,
        "content": content,
        "missing_language": translation.get_language_info(language)["name_translated"]
        if content["language"] != language
        else None,
        "related": related,
        "feedback": _feedback_of(request, article),
        "feedback_form": FeedbackForm(),
    }
    return render(request, "knowledge/article_detail.html", context)


@require_POST
def article_feedback(request, slug):
    """Record a reader's "was this helpful?" answer once; the fragment thanks them."""
    article = get_article_for_reader(request.user, slug)
    form = FeedbackForm(request.POST)
    feedback, created = None, False
    if form.is_valid():
        if not request.user.is_authenticated and not request.session.session_key:
            request.session["kb_reader"] = True
            request.session.save()
        feedback, created = services.record_feedback(
            request.user,
            article,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
            session_key=request.session.session_key or "",
            language=reader_language(request),
        )
        notice = _("Thank you for your feedback.") if created else _("You have already rated this article. Thank you.")
    else:
        notice = _("Please choose yes or no.")
    if not request.htmx:
        (messages.success if feedback else messages.error)(request, notice)
        return redirect(article.get_absolute_url() + "#article-feedback")
    context = {"article": article, "feedback": feedback, "feedback_form": form, "notice": notice}
    response = render(request, "knowledge/article_detail.html#article-feedback", context)
    if created:
        trigger_client_event(response, "articleRated", {"helpful": feedback.helpful})
    return response

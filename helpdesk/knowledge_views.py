"""The knowledge base in the agent workspace: finding an article to link in a reply, and
writing one from a resolved ticket (knowledge capture)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from knowledge import search as kb_search
from knowledge.models import PUBLIC_AUDIENCES
from knowledge.views import reader_language

from . import capture
from .access import agent_required, get_ticket_for_agent
from .forms import ArticleCaptureForm
from .models import Ticket
from .timeline import NotAllowed

ARTICLE_RESULTS = 8


def markdown_link(title, url):
    """A Markdown link whose text cannot break out of its brackets."""
    text = " ".join(title.split()).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{text}]({url})"


def _composer_hits(request, ticket, query):
    """Every article the agent may read (internal ones too), each told whether a customer may read it,
    with a link titled in the customer's language when the article is translated."""
    hits = kb_search.search_articles(
        query,
        language=reader_language(request),
        audiences=kb_search.audiences_for(request.user),
        limit=ARTICLE_RESULTS,
        user=request.user,
        client_key=f"u:{request.user.pk}",
    ).hits
    for hit in hits:
        hit.is_public = hit.article.category.audience in PUBLIC_AUDIENCES
        title = hit.article.content_in(ticket.language)["title"]
        hit.link = markdown_link(title, settings.FIRSTLINE_SITE_URL + hit.article.get_absolute_url())
    return hits


@agent_required
@require_GET
def ticket_articles(request, ref):
    """Knowledge base search from the reply composer: the results list for HTMX, a page without JavaScript."""
    ticket = get_ticket_for_agent(request.user, ref, Ticket.objects.all())
    query = request.GET.get("q", "").strip()[: kb_search.MAX_QUERY]
    context = {"ticket": ticket, "query": query, "hits": None, "limited": False}
    status = 200
    if query and kb_search.search_rate_exceeded(f"u:{request.user.pk}"):
        context["limited"], status = True, 429
    elif query:
        context["hits"] = _composer_hits(request, ticket, query)
    template = "helpdesk/ticket_articles.html" + ("#article-results" if request.htmx else "")
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _capturable_ticket(request, ref):
    """The ticket an article may be written from: 404 while it is open, 403 without the permission."""
    ticket = get_ticket_for_agent(request.user, ref, Ticket.objects.select_related("category"))
    if not capture.may_capture(request.user):
        raise PermissionDenied
    if not capture.is_capturable(ticket):
        raise Http404
    return ticket


@agent_required
@require_http_methods(["GET", "POST"])
def ticket_capture(request, ref):
    """Write a knowledge base article from a resolved ticket; it goes to review."""
    ticket = _capturable_ticket(request, ref)
    initial = capture.capture_initial(ticket) if request.method == "GET" else None
    form = ArticleCaptureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = capture.capture_article(request.user, ticket, **form.cleaned_data)
        except NotAllowed as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("“%(title)s” is waiting for review. Thank you for writing it down.") % {"title": article}
            )
            return redirect(ticket.get_absolute_url())
    return render(request, "helpdesk/article_capture_form.html", {"ticket": ticket, "form": form})

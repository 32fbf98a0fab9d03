"""Finding articles: ranked, visible, published, with highlighted snippets.

PostgreSQL: full-text search over the stored weighted vectors (title, tags,
summary, body) with the reader's language configuration, ranked by
SearchRank, highlighted by SearchHeadline. Elsewhere (SQLite): every word of
the query must occur somewhere in the folded document, at any position, and
rows are ranked by where the words occur (title, then tags, summary, body).

The query is only ever a parameter. Highlights are built safely: the text is
escaped first and only our own marks become <mark> elements.
"""

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, F, FloatField, Q, TextField, Value, When, Window
from django.db.models.functions import Concat, Greatest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .access import audiences_for
from .index import MARK_START, MARK_STOP, config_for, fold
from .models import Article, ArticleSearchIndex, SearchLog

__all__ = ["Hit", "Results", "audiences_for", "search_articles", "suggest", "search_rate_exceeded"]

MAX_QUERY = 200
MAX_WORDS = 8
SNIPPET_CHARS = 220

# Words too common to narrow a search; dropped on the portable path (PostgreSQL
# drops its own per configuration). Kept short on purpose.
_STOPWORDS = frozenset(
    str.split(
        "a an and are as at be by can do does for from how i in is it my of on or the to what when where why with "
        "you your me we our "
        "el la los las un una y o de del en por para con que como mi mis se es no al lo "
        "le les des du et ou pour avec est je mon ma "
        "der die das ein eine und oder mit fur ist ich mein wie "
        "o os as um uma e com para meu minha"
    )
)
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass
class Hit:
    article: Article
    title_html: str
    snippet_html: str
    language: str
    score: float = 0.0


@dataclass
class Results:
    query: str
    language: str
    hits: list = field(default_factory=list)
    total: int = 0


def normalize_query(query):
    """The query as analytics group it: folded, single-spaced, without punctuation."""
    return " ".join(_WORD.findall(fold(query)))[:MAX_QUERY]


def query_words(query):
    """Folded words to match; common words dropped unless nothing else is left."""
    words = list(dict.fromkeys(_WORD.findall(fold(query))))[:MAX_WORDS]
    useful = [w for w in words if w not in _STOPWORDS and (len(w) > 1 or _CJK.search(w))]
    return useful or words


def _fold_with_positions(text):
    folded, positions = [], []
    for index, char in enumerate(text):
        for piece in fold(char):
            folded.append(piece)
            positions.append(index)
    return "".join(folded), positions


def highlight(text, words, *, width=None):
    """`text` escaped, with every occurrence of `words` in <mark>; cut to about `width` characters
    around the first match when `width` is given."""
    text = text or ""
    folded, positions = _fold_with_positions(text)
    spans = []
    for word in words:
        start = folded.find(word)
        while start != -1 and word:
            end = start + len(word)
            spans.append((positions[start], positions[end - 1] + 1))
            start = folded.find(word, end)
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    lo, hi = 0, len(text)
    if width and len(text) > width:
        first = merged[0][0] if merged else 0
        lo = max(0, first - width // 3)
        if lo:
            space = text.find(" ", lo)
            lo = space + 1 if 0 <= space < first else lo
        hi = min(len(text), lo + width)
        space = text.rfind(" ", lo, hi)
        if hi < len(text) and space > lo:
            hi = space
    parts = ["…" if lo else ""]
    cursor = lo
    for start, end in merged:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        parts.append(escape(text[cursor:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(escape(text[cursor:hi]))
    parts.append("…" if hi < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def _marks_to_html(headline):
    escaped = str(escape(headline or ""))
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))  # noqa: S308 - escaped


def search_articles(query, *, language, audiences, limit=10, offset=0, user=None, client_key="", log=True):
    """Published articles the audiences may read that match `query`, best first, in `language`
    where translated (English otherwise). Every non-empty search is logged."""
    query = (query or "").strip()[:MAX_QUERY]
    results = Results(query=query, language=language)
    words = query_words(query)
    if not words:
        return results
    rows = ArticleSearchIndex.objects.visible_to(audiences).for_language(language)
    if connection.vendor == "postgresql":
        page, total = _search_postgres(rows, query, words, language, limit, offset)
    else:
        page, total = _search_portable(rows, words, limit, offset)
    results.hits, results.total = page, total
    if log:
        log_search(
            query,
            language=language,
            result_count=total,
            user_id=user.pk if user is not None and user.is_authenticated else None,
            client_key=client_key,
        )
    return results


def _count(queryset, page, offset):
    """The number of matches: carried on every row of the page (a window count over the same
    scan that ranked them), so only a page past the end needs a query of its own."""
    if page:
        return page[0][-1] if isinstance(page[0], tuple) else page[0].total
    return 0 if offset == 0 else queryset.count()


def _total():
    return Window(Count("pk"))


def _search_portable(rows, words, limit, offset):
    for word in words:
        rows = rows.filter(document__contains=word)
    score = Value(0)
    for word in words:
        score = score + Case(
            When(title__icontains=word, then=Value(8)),
            When(tags__icontains=word, then=Value(4)),
            When(summary__icontains=word, then=Value(2)),
            default=Value(1),
        )
    if len(words) > 1:
        score = score + Case(When(title__icontains=" ".join(words), then=Value(6)), default=Value(0))
    ranked = (
        rows.annotate(score=score, total=_total())
        .select_related("article__category")
        .defer("document", "vector")
        .order_by("-score", "-article__view_count", "article_id")
    )
    page = list(ranked[offset : offset + limit])
    hits = [
        Hit(
            article=row.article,
            title_html=highlight(row.title, words),
            snippet_html=highlight(f"{row.summary} {row.body}".strip(), words, width=SNIPPET_CHARS),
            language=row.language,
            score=float(row.score),
        )
        for row in page
    ]
    return hits, _count(rows, page, offset)


def _search_postgres(rows, query, words, language, limit, offset):
    configs = list(dict.fromkeys([config_for(language), "english"]))
    queries = [SearchQuery(query, config=config, search_type="websearch") for config in configs]
    matches = Q()
    for search_query in queries:
        matches |= Q(vector=search_query)
    ranks = [SearchRank(F("vector"), search_query, normalization=Value(1)) for search_query in queries]
    rank = Greatest(*ranks) if len(ranks) > 1 else ranks[0]
    if config_for(language) == "simple":
        # No word splitting for these languages: a substring of the folded text counts too.
        contains = Q()
        for word in words:
            contains &= Q(document__contains=word)
        matches |= Q(language=language) & contains
        rank = Greatest(rank, Case(When(contains, then=Value(0.05)), default=Value(0.0), output_field=FloatField()))
    matched = rows.filter(matches)
    ranked = matched.annotate(rank=rank).order_by("-rank", "-article__view_count", "article_id")
    page = list(ranked.annotate(total=_total()).values_list("pk", "rank", "total")[offset : offset + limit])
    if not page:
        return [], _count(matched, page, offset)
    row_query = SearchQuery(query, config=F("config"), search_type="websearch")
    marks = {"start_sel": MARK_START, "stop_sel": MARK_STOP}
    detailed = (
        ArticleSearchIndex.objects.filter(pk__in=[row[0] for row in page])
        .select_related("article__category")
        .defer("document", "vector")
        .annotate(
            title_headline=SearchHeadline("title", row_query, config=F("config"), highlight_all=True, **marks),
            snippet_headline=SearchHeadline(
                Concat("summary", Value(" "), "body", output_field=TextField()),
                row_query,
                config=F("config"),
                max_words=35,
                min_words=15,
                **marks,
            ),
        )
    )
    by_pk = {row.pk: row for row in detailed}
    hits = []
    for pk, score, _n in page:
        row = by_pk[pk]
        title = _marks_to_html(row.title_headline)
        snippet = _marks_to_html(row.snippet_headline)
        if "<mark>" not in snippet:  # matched through another language's stemming, or a substring
            snippet = highlight(f"{row.summary} {row.body}".strip(), words, width=SNIPPET_CHARS)
        if "<mark>" not in title:
            title = highlight(row.title, words)
        hits.append(
            Hit(article=row.article, title_html=title, snippet_html=snippet, language=row.language, score=score)
        )
    return hits, _count(matched, page, offset)


def suggest(query, *, language, user, limit=5):
    """A few articles for what a reader is typing (the portal's new-ticket form): same ranking,
    same visibility, logged like any search."""
    client_key = f"u:{user.pk}" if user is not None and user.is_authenticated else ""
    return search_articles(
        query, language=language, audiences=audiences_for(user), limit=limit, user=user, client_key=client_key
    ).hits


# --- analytics -----------------------------------------------------------------------

# Search-as-you-type sends "vp", "vpn", "vpn drops" within seconds; one reader's
# refinements update one row, so the log holds what they finally looked for.
REFINE_SECONDS = 30


def log_search(query, *, language, result_count, user_id=None, client_key=""):
    """Record one search in one statement: a new row, or the reader's row being refined."""
    normalized = normalize_query(query)
    if not normalized:
        return
    now = timezone.now()
    key = f"kb:last-search:{client_key}" if client_key else None
    last = cache.get(key) if key else None
    values = {"query": query[:MAX_QUERY], "normalized": normalized, "result_count": result_count, "created_at": now}
    if (
        last
        and now - last["at"] < timedelta(seconds=REFINE_SECONDS)
        and (normalized.startswith(last["normalized"]) or last["normalized"].startswith(normalized))
        and SearchLog.objects.filter(pk=last["pk"]).update(**values)
    ):
        pk = last["pk"]
    else:
        pk = SearchLog.objects.create(language=language, user_id=user_id, **values).pk
    if key:
        cache.set(key, {"pk": pk, "normalized": normalized, "at": now}, REFINE_SECONDS * 2)


# --- rate limit ------------------------------------------------------------------------


def search_rate_exceeded(client_key):
    """True once `client_key` has searched more than the allowed times in the current window.

    A fixed window counted in the cache (settings.KNOWLEDGE_SEARCH_RATE = (searches, seconds));
    with a per-process cache the limit is per process, with Redis it is shared.
    """
    allowed, window = getattr(settings, "KNOWLEDGE_SEARCH_RATE", (60, 60))
    key = f"kb:search-rate:{client_key}:{int(time.time() // window)}"
    if cache.add(key, 1, window + 1):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 1)
        return False
    return count > allowed

"""The search index: one row per published article and language it is written in.

Rows are rebuilt set-wise for a batch of articles (delete, bulk insert, and on
PostgreSQL one UPDATE computing the weighted vectors), so publishing one
article and loading ten thousand use the same code.
"""

import unicodedata

from django.conf import settings
from django.db import connection, transaction

from .markdown import to_plain_text
from .models import Article, ArticleSearchIndex, Status

# PostgreSQL text-search configuration per language of settings.LANGUAGES.
# Japanese and Chinese have no word splitter in PostgreSQL: "simple", plus a
# substring match in search.py.
TEXT_SEARCH_CONFIGS = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "pt": "portuguese",
    "ja": "simple",
    "zh-hans": "simple",
}

# Highlight marks: private-use characters no article keeps (see clean_for_index),
# replaced by <mark> only after the text around them is escaped.
MARK_START = "\ue000"
MARK_STOP = "\ue001"

BATCH = 500


def config_for(language):
    return TEXT_SEARCH_CONFIGS.get(language, "simple")


def fold(text):
    """Lower case without accents: "Contraseña" and "contrasena" search alike."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_for_index(text):
    return (text or "").replace(MARK_START, "").replace(MARK_STOP, "")


def rows_for(article):
    """The index rows of one article: English always, and each language it is translated into."""
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    rows = []
    tags = clean_for_index(", ".join(article.tag_list))
    for code, _name in settings.LANGUAGES:
        if code != default and not article.has_translation(code):
            continue
        content = article.content_in(code)
        title = clean_for_index(content["title"])[:200]
        summary = clean_for_index(to_plain_text(content["summary"]))[:300]
        body = clean_for_index(to_plain_text(content["body"]))
        rows.append(
            ArticleSearchIndex(
                article_id=article.pk,
                language=code,
                config=config_for(code),
                title=title,
                tags=tags,
                summary=summary,
                body=body,
                document=fold(" \n".join((title, tags, summary, body))),
            )
        )
    return rows


_VECTOR_SQL = """
UPDATE {table} SET vector =
    setweight(to_tsvector(config::regconfig, title), 'A')
    || setweight(to_tsvector(config::regconfig, tags), 'B')
    || setweight(to_tsvector(config::regconfig, summary), 'C')
    || setweight(to_tsvector(config::regconfig, body), 'D')
WHERE article_id = ANY(%s)
"""


def reindex_articles(article_ids):
    """Rewrite the index rows of these articles: published ones get fresh rows, others none."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), BATCH):
        _reindex_batch(ids[start : start + BATCH])


def _reindex_batch(ids):
    with transaction.atomic():
        ArticleSearchIndex.objects.filter(article_id__in=ids).delete()
        rows = []
        for article in Article.objects.filter(pk__in=ids, status=Status.PUBLISHED).order_by():
            rows.extend(rows_for(article))
        ArticleSearchIndex.objects.bulk_create(rows, batch_size=BATCH)
        if rows and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_VECTOR_SQL.format(table=ArticleSearchIndex._meta.db_table), [ids])


def reindex_all():
    reindex_articles(Article.objects.values_list("pk", flat=True))

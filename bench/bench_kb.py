#!/usr/bin/env python
"""Knowledge base search benchmark, run by hand (never in the test suite).

Loads the demo articles plus N synthetic published articles (bulk inserts
with their search rows, set-wise) into a fresh database — a SQLite file in a
temporary folder, or the PostgreSQL database named by DATABASE_URL — then
times knowledge.search.search_articles for a fixed list of queries as a
customer would run them (logging included), and reports the median and p95
and how many of the twenty fixed questions find their article in the top three.

    .venv/bin/python bench/bench_kb.py --articles 10000
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_kb.py --articles 10000
"""

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Beyond the twenty questions: single common words, long questions, misses.
EXTRA_QUERIES = [
    "password",
    "widget",
    "export",
    "settings team",
    "how do I configure a dashboard for my workspace",
    "pipeline snapshot restore",
    "quantum teleporter",
    "account data region",
]


def run(articles, runs, out=print):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from knowledge import demo
    from knowledge.models import PUBLIC_AUDIENCES, Article, ArticleSearchIndex, Category
    from knowledge.search import search_articles

    quiet = StringIO()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, stdout=quiet)
    filler, _created = Category.objects.get_or_create(slug="bench-filler", defaults={"name_en": "Bench filler"})
    missing = articles - Article.objects.filter(category=filler).count()
    if missing > 0:
        started = time.perf_counter()
        demo.install_synthetic(missing, category=filler)
        out(f"seeded {missing} articles with their search rows in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def find(query, language, limit=10):
        return search_articles(
            query, language=language, audiences=PUBLIC_AUDIENCES, limit=limit, client_key="bench", log=True
        )

    queries = [(q, language) for q, language, _slug in demo.SEARCH_CHECKS] + [(q, "en") for q in EXTRA_QUERIES]
    for query, language in queries:  # warm-up
        find(query, language)
    times = []
    for _ in range(runs):
        for query, language in queries:
            start = time.perf_counter()
            find(query, language)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    hits = sum(
        slug in [hit.article.slug for hit in find(query, language, limit=3).hits]
        for query, language, slug in demo.SEARCH_CHECKS
    )
    out(
        f"database: {connection.vendor}, published articles: {Article.objects.published().count()}, "
        f"index rows: {ArticleSearchIndex.objects.count()}"
    )
    out(
        f"{len(queries)} queries x {runs} runs: median {statistics.median(times):.1f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms"
    )
    out(f"top-3 hit rate for the {len(demo.SEARCH_CHECKS)} fixed questions: {hits}/{len(demo.SEARCH_CHECKS)}")
    return times, hits


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix="firstline-kb-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    os.environ.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        Q_SYNC="1",
    )
    try:
        run(args.articles, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

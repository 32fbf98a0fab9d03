#!/usr/bin/env python
"""SLA sweep and manager dashboard at volume, run by hand (never in the test suite).

Seeds tickets into a fresh database — a SQLite file in a temporary folder, or
the PostgreSQL database named by DATABASE_URL — with `seed_bench`, gives them
SLA state with `seed_bench_sla` (terms, clocks, levels, due times arranged
around the moment measured), then, with production settings (DEBUG off):

1. times one run of `sweep_sla(now=…)` and counts its queries, first with a
   tenth of the volume (N/10 tickets, D/10 due), then with all of it (N
   tickets, D due: 40 % to warn, 30 % to breach, 30 % to escalate), and a
   second run at the same moment, which must find nothing to do. The query
   count must not grow with the volume.
2. measures `/manager/`, signed in as a manager, like `bench_pages.py`:
   queries, median and p95 server time over --runs requests, and size.
   Skipped, with a note, while the page does not exist.

    .venv/bin/python bench/bench_sla.py                          # 100 000 tickets, 10 000 due, SQLite
    .venv/bin/python bench/bench_sla.py --tickets 20000 --due 2000 --runs 10
    .venv/bin/python bench/bench_sla.py --profile                 # + cProfile and SQL by statement
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_sla.py

Targets: a sweep of 10 000 due in 100 000 tickets in at most 3 s, with the
same query count at both volumes; /manager/ in at most 20 queries and a
median of at most 150 ms. A PostgreSQL database that already holds more than
N/10 tickets is measured twice at its own volume (with D/10, then D due).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def load():
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def seed(tickets, due, out):
    """Top the database up to `tickets` tickets and arrange `due` of them around a fresh `now`."""
    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.models import Ticket

    quiet = StringIO()
    have = Ticket.objects.count()
    if have < tickets:
        started = time.perf_counter()
        call_command("seed_bench", tickets=tickets - have, stdout=quiet)
        out(f"  seeded {tickets - have} tickets in {time.perf_counter() - started:.1f} s")
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    call_command("seed_bench_sla", due=due, now=now.isoformat(), stdout=quiet)
    out(f"  SLA state in {time.perf_counter() - started:.1f} s")
    return now


def due_counts(now):
    from helpdesk.models import SlaClock, Ticket

    return {
        "tickets": Ticket.objects.count(),
        "open": Ticket.objects.filter(is_open=1).count(),
        "warn": SlaClock.objects.due_for_warning(now).filter(ticket__is_open=1).count(),
        "breach": SlaClock.objects.due_for_breach(now).filter(ticket__is_open=1).count(),
        "escalate": Ticket.objects.filter(is_open=1, escalate_at__lte=now, sla_paused_at__isnull=True).count(),
    }


def written():
    from comms.models import OutboundMessage
    from helpdesk.models import Handoff, TicketEvent

    return {
        "events": TicketEvent.objects.filter(key__isnull=False).count(),
        "handoffs": Handoff.objects.count(),
        "outbox": OutboundMessage.objects.count(),
    }


def sweep(now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk.sweep import sweep_sla

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = sweep_sla(now=now)
        ms = (time.perf_counter() - started) * 1000
    return {"result": result, "ms": ms, "queries": list(queries.captured_queries), "load": load()}


def phase(tickets, due, out):
    """Seed, then sweep twice at the same moment; returns the figures."""
    now = seed(tickets, due, out)
    arranged = due_counts(now)
    before = written()
    first = sweep(now)
    after = written()
    second = sweep(now)
    return {
        "now": now,
        "arranged": arranged,
        "runs": [first, second],
        "wrote": {key: after[key] - before[key] for key in before},
    }


def sql_groups(queries, limit=15):
    """Captured statements grouped by shape (numbers, strings and id lists blanked), by total time."""
    groups = defaultdict(lambda: [0, 0.0])
    for query in queries:
        shape = re.sub(r"\bIN \([^()]*\)", "IN (…)", query["sql"])
        shape = re.sub(r"'[^']*'", "'?'", shape)
        shape = re.sub(r"\b\d+(\.\d+)?\b", "N", shape)
        shape = re.sub(r"\s+", " ", shape)[:150]
        groups[shape][0] += 1
        groups[shape][1] += float(query["time"]) * 1000
    rows = sorted(groups.items(), key=lambda item: -item[1][1])[:limit]
    return [f"{count:>5} {ms:>9.1f} ms  {shape}" for shape, (count, ms) in rows]


def profile_sweep(tickets, due, out):
    """Seed again and run the sweep under cProfile (its time is inflated by the profiler)."""
    from helpdesk.sweep import sweep_sla

    now = seed(tickets, due, out)
    profiler = cProfile.Profile()
    profiler.enable()
    sweep_sla(now=now)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(35)
    out(text.getvalue())


def manager_page(runs, out):
    from bench_pages import measure
    from django.db import connection
    from django.db.models import Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    from helpdesk.models import Role, SlaClock, Ticket, User

    try:
        resolve("/manager/")
    except Resolver404:
        out("/manager/: not there yet (no URL resolves) — skipped")
        return None
    except Exception as error:  # a page half-built by someone else must not hide the sweep's figures
        out(f"/manager/: URLs do not load ({type(error).__name__}: {error}) — skipped")
        return None
    manager = User.objects.filter(role=Role.MANAGER, is_staff=True, is_active=True).order_by("pk").first()
    since = timezone.now() - timedelta(days=30)
    window = SlaClock.objects.filter(started_at__gte=since)
    out(
        f"last 30 days: {window.count()} clocks started "
        f"({window.filter(Q(met_at__isnull=False) | Q(breached_at__isnull=False)).count()} met or breached), "
        f"{Ticket.objects.filter(is_open=0, resolved_at__gte=since).count()} tickets resolved"
    )
    from helpdesk import rollup

    # The sweeps above rewrote thousands of rows at once; give the tables the state
    # autovacuum keeps a live database in (visibility map, statistics), as seed_bench does.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    for label, days in (("every day", None), (f"last {rollup.RECENT_DAYS} days", rollup.RECENT_DAYS)):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            rows = rollup.refresh(days=days)
            ms = (time.perf_counter() - started) * 1000
        out(f"compliance rollup, {label}: {rows} rows in {ms:.0f} ms, {len(queries)} queries  {load()}")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    out(f"database: {connection.vendor}, signed in as {manager.username} (manager), runs: {runs}")
    out(f"{'page':<28}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'KB':>8}  load")
    results = {}
    for url in ("/manager/", "/manager/?period=90", "/manager/?period=7&priority=3"):
        try:
            r = measure(client, url, runs=runs)
        except AssertionError as error:
            out(f"{url:<28} failed: {error}")
            continue
        results[url] = r
        out(f"{url:<28}{r['queries']:>8}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}{r['kb']:>8.1f}  {load()}")
    return results.get("/manager/")


def run(tickets, due, runs, *, profile=False, out=print):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    out(f"database: {connection.vendor}, cores: {os.cpu_count()}, load at start: {load()}")
    phases = []
    for size, due_now in ((max(1, tickets // 10), max(1, due // 10)), (tickets, due)):
        out(f"volume {size} tickets, {due_now} due:")
        phases.append(phase(size, due_now, out))
    out(f"seeding and sweeps took {time.perf_counter() - started:.0f} s")
    out("")
    out("SLA sweep, sweep_sla(now=…): one run, then a second at the same moment")
    out(
        f"{'tickets':>8}{'open':>8}{'to warn':>9}{'breach':>8}{'escal.':>8}  {'run':<4}{'ms':>8}{'queries':>8}"
        f"{'warned':>8}{'breached':>9}{'escal.':>8}  load"
    )
    for p in phases:
        a = p["arranged"]
        for i, r in enumerate(p["runs"]):
            head = (
                f"{a['tickets']:>8}{a['open']:>8}{a['warn']:>9}{a['breach']:>8}{a['escalate']:>8}"
                if i == 0
                else " " * 41
            )
            res = r["result"]
            out(
                f"{head}  {('1st', '2nd')[i]:<4}{r['ms']:>8.0f}{len(r['queries']):>8}"
                f"{res.get('warnings', '-'):>8}{res.get('breaches', '-'):>9}{res.get('escalations', '-'):>8}"
                f"  {r['load']}"
            )
    for p in phases:
        w = p["wrote"]
        out(
            f"first run at {p['arranged']['tickets']} tickets wrote {w['events']} events, "
            f"{w['handoffs']} handoffs, {w['outbox']} outbox rows"
        )
    small, large = (len(p["runs"][0]["queries"]) for p in phases)
    out(f"query count of the first run: {small} → {large} ({'flat' if large <= small else 'GROWS'})")
    if profile:
        out("")
        out(f"statements of the first run at {phases[-1]['arranged']['tickets']} tickets, by total time:")
        out("    n     total  statement")
        for line in sql_groups(phases[-1]["runs"][0]["queries"]):
            out(line)
        out("")
        out("cProfile of a first run at the same volume (re-seeded; times inflated by the profiler):")
        profile_sweep(tickets, due, out)
    out("")
    page = manager_page(runs, out)
    return {"phases": phases, "manager": page}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000, help="clocks and tickets due at the moment swept")
    parser.add_argument("--runs", type=int, default=30, help="requests per page measurement")
    parser.add_argument("--profile", action="store_true", help="also print cProfile and the SQL by statement")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix="firstline-bench-sla-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    # Measure what production runs: DEBUG off, hashed static files.
    os.environ.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(Path(scratch) / "static"),
        LOG_LEVEL="WARNING",
    )
    run(args.tickets, args.due, args.runs, profile=args.profile)


if __name__ == "__main__":
    main()

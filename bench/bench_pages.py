#!/usr/bin/env python
"""Page benchmark at volume, run by hand (never in the test suite).

Seeds N tickets (three messages each) into a fresh database — a SQLite file in
a temporary folder, or the PostgreSQL database named by DATABASE_URL — then
measures, in process with Django's test client, the query count, median and
p95 server time and response size of the pages agents and customers use most.

    .venv/bin/python bench/bench_pages.py --tickets 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_pages.py --tickets 100000
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


def measure(client, url, *, runs, headers=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(3):  # warm-up
        client.get(url, **headers)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    times.sort()
    return {
        "queries": len(queries.captured_queries),
        "median_ms": statistics.median(times),
        "p95_ms": times[max(0, int(len(times) * 0.95) - 1)],
        "kb": len(response.content) / 1024,
    }


def run(tickets, runs, out=print):
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from helpdesk import services
    from helpdesk.models import Ticket, User

    quiet = StringIO()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=quiet)
    # A database that already holds the volume (from an earlier run, named by
    # DATABASE_URL) is measured as it is: right after a bulk load the server is
    # still writing it out, which is not what a live helpdesk looks like.
    if Ticket.objects.count() < tickets:
        call_command("seed_bench", tickets=tickets, stdout=quiet)
        # Every ticket with its SLA clocks and due time, a tenth of them due now,
        # so the queue rows render countdowns as they do in a live helpdesk.
        call_command("seed_bench_sla", due=tickets // 10, stdout=quiet)
        out(f"seeded {Ticket.objects.count()} tickets in {time.perf_counter() - started:.1f} s")

    agent = User.objects.get(username="agent1")
    alice = User.objects.get(username="alice")
    ticket = Ticket.objects.filter(subject="Twenty messages", requester=alice).first()
    if ticket is None:
        ticket = services.create_ticket(alice, requester=alice, subject="Twenty messages", description="Start")
        for i in range(19):
            services.reply_to_ticket(agent if i % 2 else alice, ticket, body=f"Message {i}", internal=i % 4 == 3)

    agent_client, customer_client = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    agent_client.force_login(agent)
    customer_client.force_login(alice)
    pages = [
        ("/agent/ (page)", agent_client, "/agent/", None),
        ("/agent/ (list fragment)", agent_client, "/agent/", {"HTTP_HX_REQUEST": "true"}),
        ("Breaching soon (fragment)", agent_client, "/agent/?view=breaching", {"HTTP_HX_REQUEST": "true"}),
        ("ticket page, 20 messages", agent_client, f"/agent/tickets/{ticket.ref}/", None),
        ("/portal/", customer_client, "/portal/", None),
    ]
    from django.db import connection

    out(f"database: {connection.vendor}, tickets: {Ticket.objects.count()}, runs per page: {runs}")
    out(f"{'page':<28}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'KB':>8}")
    results = {}
    for label, client, url, headers in pages:
        r = measure(client, url, runs=runs, headers=headers)
        results[label] = r
        out(f"{label:<28}{r['queries']:>8}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}{r['kb']:>8.1f}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix="firstline-bench-")
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
    try:
        run(args.tickets, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

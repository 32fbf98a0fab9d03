#!/usr/bin/env python
"""/status/, its JSON summary and its feed with 1 000 past incidents (run by hand).

Seeds 1 000 resolved public incidents, one every two hours (so all of them
fall inside the page's 90-day history: the worst case), plus one open P1
with updates, then measures each page with Django's test client: queries,
median and p95 server time over --runs requests.

    .venv/bin/python bench/bench_status.py
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_status.py

Targets: at most 10 queries; a median of at most 20 ms on PostgreSQL.
"""

import argparse
import statistics
import time
from datetime import timedelta

from _incident_setup import setup, staff


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    setup("firstline-bench-status-")
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from incidents import services
    from incidents.models import Component, ComponentGroup, ComponentStatus, Incident, IncidentStatus

    manager, agent = staff()
    group, _made = ComponentGroup.objects.get_or_create(name="Platform")
    components = [Component.objects.get_or_create(name=f"Part {n}", defaults={"group": group})[0] for n in range(8)]
    now = timezone.now()
    have = Incident.objects.filter(title__startswith="Past ").count()
    Incident.objects.bulk_create(
        [
            Incident(
                title=f"Past {n}",
                severity=1 + n % 4,
                status=IncidentStatus.RESOLVED,
                commander=manager,
                communications_lead=agent,
                declared_at=now - timedelta(hours=2 * n),
                resolved_at=now - timedelta(hours=2 * n - 1),
            )
            for n in range(have + 1, args.incidents + 1)
        ]
    )
    if not Incident.objects.open().exists():
        incident = services.declare_incident(
            manager,
            title="Open outage",
            severity=1,
            commander=manager,
            communications_lead=agent,
            all_organizations=True,
            components={components[0]: ComponentStatus.MAJOR_OUTAGE},
            message="We are investigating.",
        )
        services.post_update(manager, incident, body="Found it.", status=IncidentStatus.IDENTIFIED)
    client = Client()
    print(f"database: {connection.vendor}; {Incident.objects.count()} incidents")
    print(f"{'url':<24}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'KB':>8}")
    for url in ("/status/", "/status/summary.json", "/status/feed.atom"):
        client.get(url)  # warm
        # Counted at the cursor, so neither DEBUG nor a request resetting the query log can hide one.
        queries = []

        def count(execute, sql, *rest, seen=queries):
            seen.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        times = []
        for _run in range(args.runs):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        kb = len(response.content) / 1024
        print(f"{url:<24}{len(queries):>8}{statistics.median(times):>11.1f}{p95:>9.1f}{kb:>8.1f}")


if __name__ == "__main__":
    main()

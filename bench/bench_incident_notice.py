#!/usr/bin/env python
"""A P1 notice to 10 000 affected contacts: time to render and queue every outbox row (run by hand).

Seeds N customers in 50 organizations (languages mixed, a third with a
phone, so P1 goes out on email, portal and SMS), declares a P1 affecting
all of them, posts a public update and times `send_update_notices` — the
rendering in each contact's language, the channel rules and the bulk
INSERTs — then runs it again, which must write nothing.

    .venv/bin/python bench/bench_incident_notice.py               # 10 000 contacts, SQLite
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_incident_notice.py --contacts 10000

Target: at most 5 s for 10 000 contacts.
"""

import argparse
import cProfile
import pstats
import time

from _incident_setup import setup, staff


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the first run to FILE")
    args = parser.parse_args()
    setup("firstline-bench-notice-")
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from comms.defaults import install_default_channel_rules, install_default_templates
    from comms.models import OutboundMessage
    from helpdesk.models import Organization, Role, ServiceTier, User
    from incidents import services
    from incidents.notices import send_update_notices

    install_default_templates()
    install_default_channel_rules()
    tier, _made = ServiceTier.objects.get_or_create(
        name="Bench", defaults={"first_response_minutes": 60, "allowed_channels": ["email", "portal", "sms"]}
    )
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bench org {n}", tier=tier) for n in range(50)], ignore_conflicts=True
    )
    orgs = list(Organization.objects.filter(tier=tier))
    languages = ["en", "es", "fr", "de", "pt"]
    started = time.perf_counter()
    User.objects.bulk_create(
        [
            User(
                username=f"bench-contact-{n}",
                email=f"contact{n}@example.com",
                role=Role.CUSTOMER,
                organization=orgs[n % len(orgs)],
                language=languages[n % len(languages)],
                phone=f"+3460{n:07d}" if n % 3 == 0 else "",
                first_name=f"Contact{n}",
            )
            for n in range(args.contacts)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    print(f"database: {connection.vendor}; seeded {args.contacts} contacts in {time.perf_counter() - started:.1f} s")
    manager, agent = staff()
    with transaction.atomic():
        incident = services.declare_incident(
            manager,
            title="Bench outage",
            severity=1,
            commander=manager,
            communications_lead=agent,
            all_organizations=True,
        )
        update = services.post_update(manager, incident, body="Everything is on fire; we are on it.")
    for run in ("first", "second"):
        profiler = cProfile.Profile() if args.profile and run == "first" else None
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            built = send_update_notices(update.pk)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
        if profiler:
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print(f"{run} run: {built} rows built in {seconds:.2f} s, {len(queries.captured_queries)} queries")
    rows = OutboundMessage.objects.filter(reference=incident.ref)
    channels = ", ".join(sorted(set(rows.values_list("channel", flat=True))))
    print(f"outbox rows for {incident.ref}: {rows.count()} ({channels})")


if __name__ == "__main__":
    main()

"""Bulk synthetic volume for benchmarks: N tickets with three messages each.

Everything is written with bulk inserts in batches; nothing goes through the
services (no events per field change, no emails), because this is volume for
measuring pages, not a story. Safe to run on top of the demo data.
"""

import random
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.management.commands.seed_demo import seed_configuration
from helpdesk.models import (
    OPEN_STATUSES,
    Category,
    EventKind,
    Message,
    Organization,
    Queue,
    Role,
    ServiceTier,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from helpdesk.text import render_markdown

BATCH = 5000
SUBJECTS = [
    "Cannot sign in",
    "Invoice question",
    "Export fails",
    "Sync is slow",
    "Webhook errors",
    "Password reset loop",
    "Feature request",
    "Upload stuck",
    "Wrong timezone in reports",
    "API rate limit",
    "SSO misconfigured",
    "Dashboard blank",
    "Duplicate charges",
    "Mobile app crashes",
    "Email notifications missing",
]
STATUS_WEIGHTS = [
    (Status.NEW, 15),
    (Status.OPEN, 30),
    (Status.WAITING, 12),
    (Status.ON_HOLD, 5),
    (Status.RESOLVED, 23),
    (Status.CLOSED, 15),
]


class Command(BaseCommand):
    help = "Insert N synthetic tickets (three messages each) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--organizations", type=int, default=200)
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--agents", type=int, default=50)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, tickets, organizations, customers, agents, seed, **options):
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            seed_configuration()
            tag = f"b{int(time.time())}"
            orgs, people, staff = _people(tag, organizations, customers, agents)
        queues = list(Queue.objects.all())
        categories = list(Category.objects.all())
        statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
        now = timezone.now()
        made = 0
        while made < tickets:
            size = min(BATCH, tickets - made)
            with transaction.atomic():
                _batch(rng, size, now, people, staff, queues, categories, statuses)
            made += size
        # Fresh planner statistics (and, on PostgreSQL, a visibility map so
        # index-only scans work), as autovacuum would give a live database.
        # VACUUM cannot run inside a transaction (as under a test); ANALYZE can.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(f"Inserted {tickets} tickets, {tickets * 3} messages in {time.monotonic() - started:.1f} s")


def _people(tag, organizations, customers, agents):
    tiers = list(ServiceTier.objects.all())
    Organization.objects.bulk_create(
        [Organization(name=f"Bench {tag} {i:04d}", tier=tiers[i % len(tiers)]) for i in range(organizations)]
    )
    orgs = list(Organization.objects.filter(name__startswith=f"Bench {tag} "))
    password = make_password("demo")
    User.objects.bulk_create(
        [
            User(
                username=f"{tag}-c{i:05d}",
                email=f"{tag}-c{i:05d}@example.com",
                first_name="Customer",
                last_name=f"{i:05d}",
                password=password,
                role=Role.CUSTOMER,
                organization=orgs[i % len(orgs)],
            )
            for i in range(customers)
        ]
        + [
            User(
                username=f"{tag}-a{i:03d}",
                email=f"{tag}-a{i:03d}@example.com",
                first_name="Agent",
                last_name=f"{i:03d}",
                password=password,
                role=Role.AGENT,
                support_level=1 + i % 4,
                team=Team.objects.order_by("?").first(),
            )
            for i in range(agents)
        ],
        batch_size=BATCH,
    )
    people = list(User.objects.filter(username__startswith=f"{tag}-c").values_list("pk", "organization_id"))
    staff = list(User.objects.filter(username__startswith=f"{tag}-a").values_list("pk", flat=True))
    return orgs, people, staff


def _batch(rng, size, now, people, staff, queues, categories, statuses):
    rows = []
    for _ in range(size):
        requester, org = rng.choice(people)
        created = now - timedelta(minutes=rng.randint(10, 60 * 24 * 365))
        updated = created + timedelta(minutes=rng.randint(1, 60 * 24 * 3))
        status = rng.choice(statuses)
        rows.append(
            Ticket(
                requester_id=requester,
                organization_id=org,
                subject=f"{rng.choice(SUBJECTS)} #{rng.randint(1, 99999)}",
                description="Synthetic ticket for benchmarks.",
                status=status,
                priority=rng.randint(1, 4),
                category=rng.choice(categories),
                queue=rng.choice(queues),
                assignee_id=rng.choice(staff) if rng.random() < 0.7 else None,
                level=rng.randint(1, 4),
                created_at=created,
                updated_at=updated,
                last_public_at=updated,
                resolved_at=None if status in OPEN_STATUSES else updated,
            )
        )
    tickets = Ticket.objects.bulk_create(rows, batch_size=BATCH)
    # Messages and events are plain rows: inserted without model instances, and
    # the events derived from the messages in one INSERT … SELECT.
    adapt = connection.ops.adapt_datetimefield_value
    message_table = Message._meta.db_table
    event_table = TicketEvent._meta.db_table
    rows = []
    bodies = [f"Message {step + 1} of a synthetic ticket." for step in range(3)]
    html = [render_markdown(body) for body in bodies]
    for ticket in tickets:
        agent = ticket.assignee_id or staff[0]
        for step, (author, internal) in enumerate(((ticket.requester_id, False), (agent, False), (agent, True))):
            created = adapt(ticket.created_at + timedelta(minutes=step))
            rows.append((ticket.pk, author, bodies[step], html[step], internal, created))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {message_table}")  # noqa: S608
        after = cursor.fetchone()[0]
        cursor.executemany(
            f"INSERT INTO {message_table} (ticket_id, author_id, body, body_html, is_internal, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.execute(
            f"INSERT INTO {event_table} (ticket_id, actor_id, kind, message_id, data, is_public, created_at) "  # noqa: S608
            f"SELECT ticket_id, author_id, CASE WHEN is_internal THEN '{EventKind.NOTE}' "
            f"WHEN body LIKE 'Message 1 %%' THEN '{EventKind.CREATED}' ELSE '{EventKind.REPLIED}' END, "
            f"id, '{{}}', NOT is_internal, created_at FROM {message_table} WHERE id > %s",
            [after],
        )

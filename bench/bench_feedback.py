#!/usr/bin/env python
"""The feedback report at volume, run by hand (never in the test suite).

Seeds a fresh database — a SQLite file in a temporary folder, or the
PostgreSQL database named by DATABASE_URL — with the demo data, `seed_bench`
tickets, and then, in bulk, survey answers spread over two years (CSAT on
tickets, a few NPS per person and quarter, quick ratings on chat tickets),
each with its invitation, plus unanswered invitations and a review queue.
Then, with production settings (DEBUG off), measures signed in as a manager:
queries, median and p95 server time over --runs requests, and size of

- /manager/feedback/ (last 90 days, by week), a year by month, one team;
- the SLA dashboard's feedback panel, and the review queue.

The report's daily rollup is rebuilt after seeding (as the daily schedule
would), and the time of a full and of a recent-days refresh is printed.

    .venv/bin/python bench/bench_feedback.py                     # 200 000 answers, SQLite
    .venv/bin/python bench/bench_feedback.py --responses 20000 --runs 10
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_feedback.py

Target: the feedback page in at most 15 queries and a median of at most 150 ms.
"""

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BATCH = 5000
DAYS = 730


def seed(responses, out):
    """Bulk answers (and their invitations) over the last two years, on top of seed_bench's tickets."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from feedback.models import FeedbackTheme, Invitation, Response, ReviewItem
    from helpdesk.models import Role, Ticket, User

    quiet = StringIO()
    have = Response.objects.count()
    if have >= responses:
        out(f"  {have} answers already there")
        return
    tickets_wanted = max(10_000, responses // 2)
    if Ticket.objects.count() < tickets_wanted:
        started = time.perf_counter()
        call_command("seed_bench", tickets=tickets_wanted - Ticket.objects.count(), stdout=quiet)
        out(f"  seeded {tickets_wanted} tickets in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rng = random.Random(8)
    now = timezone.now()
    themes = list(FeedbackTheme.objects.values_list("pk", flat=True)) or [None]
    rows = list(
        Ticket.objects.values_list(
            "pk", "requester_id", "assignee_id", "queue__team_id", "organization__tier_id", "category_id", "channel"
        ).order_by("pk")
    )
    customers = list(User.objects.filter(role=Role.CUSTOMER).values_list("pk", "organization__tier_id"))
    languages = ["en"] * 6 + ["es", "fr", "de", "ja", "pt", "zh-hans"]
    comments = ["", "", "", "Thanks", "The invoice was wrong", "Too slow", "Login broken again", "Great help"]

    def answer(invitation, kind, score, dims):
        at = invitation.created_at + timedelta(hours=rng.randint(1, 72))
        return Response(
            invitation=invitation,
            kind=kind,
            person_id=invitation.person_id,
            ticket_id=invitation.ticket_id,
            score=score,
            comment=(comment := rng.choice(comments)),
            theme_id=rng.choice(themes) if comment and score <= 2 else None,
            language=invitation.language,
            created_at=at,
            **dims,
        )

    made = 0
    nps_target = responses // 10
    pulse_target = responses // 20
    csat_target = responses - nps_target - pulse_target
    plan = [("csat", csat_target), ("pulse", pulse_target), ("nps", nps_target)]
    counters = {"csat": 0, "pulse": 0, "nps": 0}
    ticket_round = 0
    quarter_of = {}
    while made < responses:
        invitations, answers_meta = [], []
        for _n in range(BATCH):
            kind = next((k for k, target in plan if counters[k] < target), None)
            if kind is None:
                break
            created = now - timedelta(days=rng.uniform(0.5, DAYS), seconds=rng.randint(0, 86400))
            if kind == "nps":
                person, tier = customers[counters[kind] % len(customers)]
                period_index = quarter_of.get(person, 0)
                quarter_of[person] = period_index + 1
                invitation = Invitation(
                    kind="nps",
                    person_id=person,
                    period=f"bench-{period_index:04d}",
                    language=rng.choice(languages),
                    token_hash=secrets.token_hex(32),
                    created_at=created,
                    expires_at=created + timedelta(days=14),
                    answered_at=created + timedelta(hours=2),
                )
                dims = {"tier_id": tier}
                score = rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 10])[0]
            else:
                pk, requester, assignee, team, tier, category, channel = rows[ticket_round % len(rows)]
                ticket_round += 1
                invitation = Invitation(
                    kind=kind,
                    person_id=requester,
                    ticket_id=pk,
                    round=10 + (ticket_round - 1) // len(rows),  # clear of the demo's own invitations
                    channel=channel,
                    language=rng.choice(languages),
                    token_hash=secrets.token_hex(32),
                    created_at=created,
                    expires_at=created + timedelta(days=14),
                    answered_at=created + timedelta(hours=2),
                )
                dims = {
                    "agent_id": assignee,
                    "team_id": team,
                    "tier_id": tier,
                    "category_id": category,
                    "channel": channel,
                }
                score = (
                    rng.choices([1, 2, 3, 4, 5], weights=[4, 5, 10, 30, 51])[0]
                    if kind == "csat"
                    else rng.random() < 0.85
                )
            counters[kind] += 1
            invitations.append(invitation)
            answers_meta.append((kind, int(score), dims))
        if not invitations:
            break
        with transaction.atomic():
            Invitation.objects.bulk_create(invitations, batch_size=1000)
            Response.objects.bulk_create(
                [
                    answer(inv, kind, score, dims)
                    for inv, (kind, score, dims) in zip(invitations, answers_meta, strict=True)
                ],
                batch_size=1000,
            )
        made += len(invitations)
    # A quarter as many invitations never answered, and a review queue.
    unanswered = []
    for n in range(responses // 4):
        pk, requester, *_rest = rows[n % len(rows)]
        created = now - timedelta(days=rng.uniform(0.5, DAYS))
        unanswered.append(
            Invitation(
                kind="csat",
                person_id=requester,
                ticket_id=pk,
                round=50 + n // len(rows),
                token_hash=secrets.token_hex(32),
                created_at=created,
                expires_at=created + timedelta(days=14),
            )
        )
    Invitation.objects.bulk_create(unanswered, batch_size=1000)
    items = [
        ReviewItem(ticket_id=pk, reason="low_csat", agent_id=assignee, team_id=team, created_at=now)
        for pk, _req, assignee, team, *_rest in rows[: max(1, len(rows) // 10)]
    ]
    ReviewItem.objects.bulk_create(items, batch_size=1000, ignore_conflicts=True)
    out(
        f"  seeded {made} answers, {made + len(unanswered)} invitations, {len(items)} review items "
        f"in {time.perf_counter() - started:.1f} s"
    )


def run(responses, runs, out=print):
    import django

    django.setup()
    from bench_pages import measure
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from feedback.models import Response
    from helpdesk.models import Role, Team, User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=StringIO())
    out(f"database: {connection.vendor}, cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}")
    seed(responses, out)
    from feedback import rollup

    started = time.perf_counter()
    written = rollup.refresh(days=None)
    out(f"  feedback rollup rebuilt: {written} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rollup.refresh()
    out(f"  feedback rollup, recent days: {time.perf_counter() - started:.2f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    from django.utils import timezone

    since = timezone.now() - timedelta(days=90)
    out(
        f"answers: {Response.objects.count()} in all, {Response.objects.filter(created_at__gte=since).count()} "
        f"in the last 90 days"
    )
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    team = Team.objects.order_by("pk").first()
    pages = [
        "/manager/feedback/",
        "/manager/feedback/?period=365&unit=month",
        f"/manager/feedback/?team={team.pk}",
        "/manager/feedback/panel/",
        "/manager/reviews/",
    ]
    out(f"{'page':<42}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'KB':>8}")
    results = {}
    for url in pages:
        r = measure(client, url, runs=runs)
        results[url] = r
        out(f"{url:<42}{r['queries']:>8}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}{r['kb']:>8.1f}")
    main = results["/manager/feedback/"]
    verdict = "met" if main["queries"] <= 15 and main["median_ms"] <= 150 else "MISSED"
    out(f"target (≤ 15 queries, median ≤ 150 ms) for /manager/feedback/: {verdict}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30, help="requests per page measurement")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix="firstline-bench-feedback-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    os.environ.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(Path(scratch) / "static"),
        LOG_LEVEL="WARNING",
    )
    run(args.responses, args.runs)


if __name__ == "__main__":
    main()

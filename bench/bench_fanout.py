#!/usr/bin/env python
"""Outbox fan-out benchmark, run by hand (never in the test suite).

In a fresh SQLite database in a temporary folder (or the PostgreSQL database
named by DATABASE_URL, whose outbox is emptied first), with production
settings (DEBUG off):

1. renders N emails from one MessageTemplate (in five languages, by the
   recipient's language) and writes them to the outbox with one bulk
   `queue_messages` call, timed — target at most 5 s for 10 000 on SQLite;
2. starts an SMTP sink (aiosmtpd) on 127.0.0.1 that counts what it
   receives by Message-ID, and W worker processes (OS processes, spawned)
   that each run the delivery sweep (`deliver_due`, a batch claim of
   --batch rows and one SMTP connection per batch) until the outbox is
   empty; prints messages per second;
3. checks that every message arrived exactly once and every row is sent.

    .venv/bin/python bench/bench_fanout.py                      # 10 000 messages, 2 workers
    .venv/bin/python bench/bench_fanout.py --messages 2000 --workers 1 --batch 50
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_fanout.py
"""

import argparse
import email
import multiprocessing
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LANGUAGES = ["en", "es", "fr", "de", "pt"]


class Sink:
    """Counts every message it is given by Message-ID."""

    def __init__(self):
        self.ids = []
        self.lock = threading.Lock()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.ids.append(message_id)
        return "250 OK"


def worker(batch):
    """One delivery process: sweep until nothing is pending or in flight. Returns (sent, claims)."""
    import django

    django.setup()
    from comms.models import OutboundMessage, OutboundStatus
    from comms.services import deliver_due

    sent = claims = 0
    while True:
        done = deliver_due(limit=batch)
        claims += 1
        sent += done
        if done:
            continue
        if not OutboundMessage.objects.filter(status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING]).exists():
            return sent, claims
        time.sleep(0.01)  # the other worker holds the last rows


def blast(count, batch):
    """The sink alone: `count` ready-made messages sent with smtplib, `batch` per connection. Returns seconds."""
    import smtplib
    from email.message import EmailMessage

    port = int(os.environ["EMAIL_PORT"])
    started = time.perf_counter()
    for start in range(0, count, batch):
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(start, min(start + batch, count)):
                message = EmailMessage()
                message["From"] = "support@example.com"
                message["To"] = f"customer{i}@example.com"
                message["Subject"] = "[INC-0042] Payments delayed"
                message["Message-ID"] = f"<baseline.{os.getpid()}.{i}@example.com>"
                message.set_content("Hello,\n\nPayments delayed affects Checkout. Next update at 14:30 UTC.\n")
                smtp.send_message(message)
    return time.perf_counter() - started


def queue(count):
    from django.utils import timezone

    from comms.models import MessageTemplate
    from comms.services import render_template

    template, _created = MessageTemplate.objects.get_or_create(
        slug="bench-incident",
        defaults={
            "kind": "incident_alert",
            "name": "Bench incident",
            **{f"subject_{code}": f"[{{{{ incident_id }}}}] {{{{ incident_title }}}} ({code})" for code in LANGUAGES},
            **{
                f"body_{code}": f"({code}) Hello {{{{ customer_name }}}},\n\n{{{{ incident_title }}}} affects "
                "{{ affected_systems }}. Next update at {{ next_update_time }}.\n{{ status_page_url }}\n"
                for code in LANGUAGES
            },
        },
    )
    stamp = timezone.now().strftime("%H%M%S")
    items = []
    for i in range(count):
        language = LANGUAGES[i % len(LANGUAGES)]
        values = {
            "customer_name": f"Customer {i}",
            "incident_id": "INC-0042",
            "incident_title": "Payments delayed",
            "affected_systems": "Checkout",
            "next_update_time": "14:30 UTC",
            "status_page_url": "https://help.example.com/status/",
        }
        rendered = render_template(template, language=language, values=values)
        items.append(
            {
                "key": f"bench:{stamp}:incident:42:user:{i}",
                "to": f"customer{i}@example.com",
                "subject": rendered["subject"],
                "body": rendered["body"],
                "recipient_user_id": i,
                "reference": "INC-0042",
                "template_slug": template.slug,
                "language": rendered["language"],
            }
        )
    from comms.services import queue_messages

    return queue_messages(items)


def run(messages, workers, batch):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from comms.models import DeliveryAttempt, OutboundMessage, OutboundStatus

    call_command("migrate", verbosity=0)
    DeliveryAttempt.objects.all().delete()
    OutboundMessage.objects.all().delete()
    print(f"database: {connection.vendor}, messages: {messages}, workers: {workers}, batch: {batch}")

    started = time.perf_counter()
    queued = queue(messages)
    queue_seconds = time.perf_counter() - started
    assert OutboundMessage.objects.count() == queued == messages
    print(f"render + queue {queued} messages: {queue_seconds:.2f} s ({queued / queue_seconds:,.0f}/s)")
    connection.close()  # the workers open their own

    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=int(os.environ["EMAIL_PORT"]), ready_timeout=30)
    controller.start()
    try:
        context = multiprocessing.get_context("spawn")
        # What the sink takes with nothing of ours in the way: the same number of
        # processes sending ready-made messages, as many per connection as a batch.
        share = messages // workers
        started = time.perf_counter()
        with context.Pool(workers) as pool:
            pool.starmap(blast, [(share, batch)] * workers)
        baseline_seconds = time.perf_counter() - started
        baseline_rate = share * workers / baseline_seconds
        sink.ids.clear()
        sink.sessions = 0
        print(f"sink alone, {workers} processes sending {share * workers} ready-made messages: {baseline_rate:,.0f}/s")
        started = time.perf_counter()
        with context.Pool(workers) as pool:
            results = pool.map(worker, [batch] * workers)
        deliver_seconds = time.perf_counter() - started
    finally:
        controller.stop()

    received = Counter(sink.ids)
    twice = [message_id for message_id, seen in received.items() if seen > 1]
    sent_rows = OutboundMessage.objects.filter(status=OutboundStatus.SENT).count()
    print(
        f"deliver {len(sink.ids)} messages with {workers} processes: {deliver_seconds:.2f} s "
        f"({len(sink.ids) / deliver_seconds:,.0f} messages/s), {sink.sessions} SMTP sessions"
    )
    rate = len(sink.ids) / deliver_seconds
    print(f"  {rate / baseline_rate:.0%} of what the sink takes alone")
    for number, (sent, claims) in enumerate(results, 1):
        print(f"  worker {number}: sent {sent} in {claims} sweeps")
    print(f"distinct Message-IDs received: {len(received)}, received twice or more: {len(twice)}")
    print(f"rows sent: {sent_rows} of {messages}; delivery log rows: {DeliveryAttempt.objects.count()}")
    ok = len(received) == messages and not twice and sent_rows == messages
    print("OK: every message arrived exactly once" if ok else "FAILED: see the counts above")
    return ok


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="firstline-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    # Set before Django starts, here and in the spawned workers (they inherit the environment).
    os.environ.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(free_port()),
        EMAIL_USE_TLS="0",
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    )
    try:
        ok = run(args.messages, args.workers, args.batch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

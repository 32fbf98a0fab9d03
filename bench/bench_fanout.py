#!/usr/bin/env python
"""Outbox fan-out benchmark, run by hand (never in the test suite).

In a fresh SQLite database in a temporary folder (or the PostgreSQL database
named by DATABASE_URL, whose outbox is emptied first), with production
settings (DEBUG off), for each sink mode (--sink, both by default):

1. renders N emails from one MessageTemplate (in five languages, by the
   recipient's language) and writes them to the outbox with one bulk
   `queue_messages` call, timed — target at most 5 s for 10 000 on SQLite;
2. starts an SMTP sink (aiosmtpd) on 127.0.0.1 that counts what it
   receives by Message-ID, and measures what it takes alone: W processes
   sending with smtplib, --batch messages per connection, first messages
   composed before the clock starts (the sink's own rate), then composed
   one by one with the standard library's `email` package (what the bench
   compared against before: a client doing some work per message);
3. runs W delivery processes (OS processes, spawned) that each run the
   delivery sweep (`deliver_due`, a batch claim of --batch rows and one
   SMTP connection per batch) until the outbox is empty, and prints their
   rate as a share of the sink's — target at least 90 %: delivery limited
   by the sink, not by our code. Both clocks start once every process has
   started up (Django set up, database connected) and stop when the last
   one has finished;
4. checks that every message arrived exactly once and every row is sent.

The two sinks:

- `memory` answers 250 as soon as it has counted a message and stores
  nothing. On a small machine it shares the cores with the workers, so what
  it measures is mostly CPU sharing and the ping-pong of the SMTP dialogue.
- `spool` does what a real relay (Postfix, Exim) does before it answers
  250: writes the message to a queue file of its own and fsyncs it. The
  writes run on a thread pool, off the event loop, so concurrent sessions
  are stored in parallel, like a relay's separate processes. The spool is
  in the temporary folder: keep TMPDIR on a real disk (not tmpfs), or the
  fsync costs nothing.

A summary table ends the run: per mode, the sink alone, ours, our share.

    .venv/bin/python bench/bench_fanout.py                      # 10 000 messages, 2 workers, both sinks
    .venv/bin/python bench/bench_fanout.py --sink spool --messages 2000 --workers 1 --batch 50
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_fanout.py
"""

import argparse
import asyncio
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LANGUAGES = ["en", "es", "fr", "de", "pt"]


class Sink:
    """Counts every message it is given by Message-ID; with a `spool` folder, first stores it there, durably.

    Storing is what a relay does before it answers 250: the message goes to
    a file of its own, fsynced (Postfix's cleanup writes the queue file and
    fsyncs it before the client is told the message is accepted). It runs on
    a thread pool so one session's fsync does not hold up the others.
    """

    def __init__(self, spool=None):
        self.ids = []
        self.lock = threading.Lock()
        self.sessions = 0
        self.spool = spool
        self.stored = 0
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="spool") if spool else None

    def store(self, content):
        with self.lock:
            self.stored += 1
            number = self.stored
        descriptor = os.open(self.spool / f"{number:08d}.eml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, content)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        if self.spool is not None:
            await asyncio.get_running_loop().run_in_executor(self.pool, self.store, envelope.content)
        with self.lock:
            self.ids.append(message_id)
        return "250 OK"

    def clear(self):
        self.ids.clear()
        self.sessions = self.stored = 0
        if self.spool is not None:
            for path in self.spool.iterdir():
                path.unlink()


def worker(batch, ready, results):
    """One delivery process: sweep until nothing is pending or in flight; reports (sent, claims)."""
    import django

    django.setup()
    from comms.models import OutboundMessage, OutboundStatus
    from comms.services import deliver_due

    unfinished = OutboundMessage.objects.filter(status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING])
    unfinished.exists()  # connect before the clock starts
    ready.wait()
    sent = claims = 0
    while True:
        done = deliver_due(limit=batch)
        claims += 1
        sent += done
        if done:
            continue
        if not unfinished.exists():
            results.put((sent, claims))
            return
        time.sleep(0.01)  # the other worker holds the last rows


def compose(number):
    """An email like the ones the outbox sends, composed with the standard library: (recipient, bytes for DATA)."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate

    message = EmailMessage()
    message["Subject"] = "[INC-0042] Payments delayed (en)"
    message["From"] = "Firstline Support <support@localhost>"
    message["To"] = f"customer{number}@example.com"
    message["Date"] = formatdate()
    message["Message-ID"] = f"<baseline.{os.getpid()}.{number}@localhost>"
    message["X-Firstline-Key"] = f"bench:baseline:incident:42:user:{number}"
    message.set_content(
        f"(en) Hello Customer {number},\n\nPayments delayed affects Checkout. Next update at 14:30 UTC.\n"
        "https://help.example.com/status/\n"
    )
    return message["To"], message.as_bytes(policy=SMTP)


def sink_client(count, batch, ready_made, ready, results):
    """`count` messages sent with smtplib, `batch` per connection.

    `ready_made`: composed before the clock starts, so only the sink and
    smtplib are measured; otherwise each is composed as it is sent.
    """
    import smtplib

    port = int(os.environ["EMAIL_PORT"])
    messages = [compose(number) for number in range(count)] if ready_made else None
    ready.wait()
    for start in range(0, count, batch):
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for number in range(start, min(start + batch, count)):
                to, data = messages[number] if ready_made else compose(number)
                smtp.sendmail("support@localhost", [to], data)
    results.put(count)


def timed(target, args, processes):
    """Start `processes` running target(*args); the clock runs from when all are ready until the last reports.

    Returns (seconds, their reports, the share of one core this process used
    meanwhile: the sink's thread, as the main thread only waits).
    """
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    started = [context.Process(target=target, args=(*args, ready, results)) for _ in range(processes)]
    for process in started:
        process.start()
    ready.wait(timeout=120)
    clock, cpu = time.perf_counter(), time.process_time()
    reports = [results.get(timeout=600) for _ in started]
    seconds = time.perf_counter() - clock
    busy = (time.process_time() - cpu) / seconds
    for process in started:
        process.join()
    return seconds, reports, busy


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


SINK_MODES = ("memory", "spool")


def run(messages, workers, batch, modes, scratch):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, messages: {messages}, workers: {workers}, batch: {batch}")
    figures = [measure(mode, messages, workers, batch, Path(scratch)) for mode in modes]

    print(f"\nsummary: {connection.vendor}, {messages} messages, {workers} workers, batch {batch}")
    columns = ("sink", "queue s", "sink alone/s", "stdlib clients/s", "ours/s", "share", "exactly once", "load 1 min")
    print(" | ".join(columns))
    for row in figures:
        print(
            " | ".join(
                [
                    f"{row['mode']:<4}",
                    f"{row['queue_seconds']:7.2f}",
                    f"{row['alone']:12,.0f}",
                    f"{row['composed']:16,.0f}",
                    f"{row['ours']:6,.0f}",
                    f"{row['ours'] / row['alone']:5.0%}",
                    f"{'yes' if row['ok'] else 'NO':<12}",
                    f"{row['load']:.2f}",
                ]
            )
        )
    print("share: ours / sink alone with ready-made messages (target: at least 90 %)")
    return all(row["ok"] for row in figures)


def measure(mode, messages, workers, batch, scratch):
    """Queue `messages` afresh, then time the sink alone and our workers against the sink `mode`."""
    from django.db import connection

    from comms.models import DeliveryAttempt, OutboundMessage, OutboundStatus

    DeliveryAttempt.objects.all().delete()
    OutboundMessage.objects.all().delete()
    print(f"\n--- sink: {mode} ---")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    started = time.perf_counter()
    queued = queue(messages)
    queue_seconds = time.perf_counter() - started
    assert OutboundMessage.objects.count() == queued == messages
    print(
        f"render + queue {queued} messages: {queue_seconds:.2f} s ({queued / queue_seconds:,.0f}/s; "
        "target: 10 000 in at most 5 s)"
    )
    connection.close()  # the workers open their own

    from aiosmtpd.controller import Controller

    spool = None
    if mode == "spool":
        spool = scratch / "spool"
        spool.mkdir(exist_ok=True)
    sink = Sink(spool)
    controller = Controller(sink, hostname="127.0.0.1", port=int(os.environ["EMAIL_PORT"]), ready_timeout=30)
    controller.start()
    try:
        # What the sink takes with nothing of ours in the way: as many processes,
        # as many messages, as many per connection as a batch.
        share = messages // workers
        baselines = {}
        for ready_made, label in ((True, "ready-made"), (False, "composed one by one with the stdlib")):
            seconds, _counts, busy = timed(sink_client, (share, batch, ready_made), workers)
            baselines[ready_made] = share * workers / seconds
            print(
                f"sink alone: {workers} processes, {share * workers} messages {label}: "
                f"{baselines[ready_made]:,.0f}/s (sink busy {busy:.0%})"
            )
            sink.clear()
        deliver_seconds, results, busy = timed(worker, (batch,), workers)
    finally:
        controller.stop()
        if sink.pool:
            sink.pool.shutdown()

    received = Counter(sink.ids)
    twice = [message_id for message_id, seen in received.items() if seen > 1]
    sent_rows = OutboundMessage.objects.filter(status=OutboundStatus.SENT).count()
    rate = len(sink.ids) / deliver_seconds
    print(
        f"delivery: {workers} processes, {len(sink.ids)} messages in {deliver_seconds:.2f} s: {rate:,.0f}/s "
        f"over {sink.sessions} SMTP sessions (sink busy {busy:.0%})"
    )
    print(f"  {rate / baselines[True]:.0%} of what the sink takes alone, ready-made (target: at least 90 %)")
    print(f"  {rate / baselines[False]:.0%} of what it takes from clients composing each message")
    for number, (sent, claims) in enumerate(results, 1):
        print(f"  worker {number}: sent {sent} in {claims} sweeps")
    print(f"distinct Message-IDs received: {len(received)}, received twice or more: {len(twice)}")
    print(f"rows sent: {sent_rows} of {messages}; delivery log rows: {DeliveryAttempt.objects.count()}")
    spooled = sum(1 for _ in spool.iterdir()) if spool else messages
    if spool:
        print(f"messages in the spool: {spooled}")
    ok = len(received) == messages and not twice and sent_rows == messages and spooled == messages
    print("OK: every message arrived exactly once" if ok else "FAILED: see the counts above")
    load = os.getloadavg()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*load))
    return {
        "mode": mode,
        "queue_seconds": queue_seconds,
        "alone": baselines[True],
        "composed": baselines[False],
        "ours": rate,
        "ok": ok,
        "load": load[0],
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--sink", choices=[*SINK_MODES, "both"], default="both", help="the SMTP sink (default: both)")
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
        modes = SINK_MODES if args.sink == "both" else (args.sink,)
        ok = run(args.messages, args.workers, args.batch, modes, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

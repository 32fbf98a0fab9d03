#!/usr/bin/env python
"""Journey signals: ingestion through HTTP against gunicorn, and the detection rules over 100 000 tickets.

1. Ingestion. Starts gunicorn on 127.0.0.1 with production settings (DEBUG
   off) over a scratch database, then POSTs `--events` single events to
   /api/signals/ from `--clients` threads: first one per customer (each opens
   a proactive case), then further events on those cases, 10 % of them replays
   of a key already sent. A request is one transaction, set-wise: the events
   and the cases; the ticket, its note and the draft are the worker's, timed
   separately. Reports events per second, and the same with batches of 50
   events per request.
2. Detection. `seed_bench` inserts `--tickets` tickets (three messages each);
   each built-in rule's set-wise query is timed and its queries counted, at a
   tenth of the volume and at full volume, to show the count is flat.

    .venv/bin/python bench/bench_signals.py                        # SQLite
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_signals.py

Targets: at least 300 events/s on PostgreSQL on 2 cores; each rule at most
3 s over 100 000 tickets, with the same number of queries at any volume.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _incident_setup import ROOT, setup

TOKEN = "fls_bench-token-0123456789abcdefghijklmnopqrstuvwxyz"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port, workers, log):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [str(gunicorn), "helpdesk.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=log,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def post(port, document):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps(document)
    connection.request(
        "POST",
        "/api/signals/",
        body=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "Host": "127.0.0.1"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def send_all(port, documents, clients):
    """POST every document from `clients` threads; returns (seconds, {status: count})."""
    statuses = {}
    lock = threading.Lock()
    position = iter(range(len(documents)))

    def worker():
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            status = post(port, documents[index])
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def make_events(emails, count, prefix, rng):
    events = []
    for n in range(count):
        if events and rng.random() < 0.10:
            events.append(rng.choice(events))  # a replay
            continue
        events.append(
            {
                "signal": rng.choice(["SIG-001", "SIG-002", "SIG-003", "SIG-005"]),
                "idempotency_key": f"{prefix}-{n}",
                "customer_email": rng.choice(emails),
                "data": {"summary": "Synthetic journey event", "order_id": str(n), "carrier": "Bench"},
            }
        )
    return events


def ingestion(args):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from comms.defaults import install_default_channel_rules, install_default_templates
    from helpdesk.models import Organization, Role, ServiceTier, User, hash_token
    from incidents.journey.demo import seed_signals
    from incidents.journey.engine import write_case_note
    from incidents.journey.models import Integration, ProactiveCase, SignalEvent
    from incidents.journey.services import create_integration

    install_default_templates()
    install_default_channel_rules()
    seed_signals()
    tag = f"sig{int(time.time())}"
    Integration.objects.filter(token_hash=hash_token(TOKEN)).update(is_active=False, token_hash=tag)
    create_integration(
        None, name=f"Bench {tag}", signal_codes=["SIG-001", "SIG-002", "SIG-003", "SIG-005"], token=TOKEN
    )
    tier, _made = ServiceTier.objects.get_or_create(
        name="Bench signals", defaults={"first_response_minutes": 60, "allowed_channels": ["email", "sms"]}
    )
    org, _made = Organization.objects.get_or_create(name="Bench signals org", defaults={"tier": tier})
    password = make_password("x")
    User.objects.bulk_create(
        [
            User(
                username=f"{tag}-{n}",
                email=f"{tag}-{n}@example.com",
                role=Role.CUSTOMER,
                organization=org,
                password=password,
            )
            for n in range(args.customers)
        ]
    )
    emails = [f"{tag}-{n}@example.com" for n in range(args.customers)]
    rng = random.Random(7)
    port = free_port()
    log_path = Path(os.environ.get("FIRSTLINE_VAR_DIR") or "/tmp") / f"bench-signals-{tag}.log"  # noqa: S108
    log = open(log_path, "w")  # noqa: SIM115 - closed with the server
    server = start_gunicorn(port, args.workers, log)
    print(f"server log: {log_path}")
    try:
        post(port, make_events(emails, 1, f"{tag}-warm", rng)[0])  # every worker imports lazily; warm one
        firsts = [
            {"signal": "SIG-001", "idempotency_key": f"{tag}-first-{n}", "customer_email": email, "data": {"n": n}}
            for n, email in enumerate(emails)
        ]
        seconds, statuses = send_all(port, firsts, args.clients)
        print(
            f"first event per customer (opens a case): {len(firsts)} in {seconds:.2f} s = "
            f"{len(firsts) / seconds:.0f} events/s; statuses {statuses}"
        )
        # The requests stored signals and cases; the worker opens the tickets (triage, clocks, tags, the note).
        cases = list(
            ProactiveCase.objects.filter(ticket__isnull=True, customer__email__in=emails).values_list("pk", flat=True)
        )
        started = time.perf_counter()
        for case_id in cases:
            write_case_note(case_id, now=timezone.now())
        seconds = time.perf_counter() - started
        print(
            f"worker, opening those tickets with their note: {len(cases)} in {seconds:.2f} s = "
            f"{len(cases) / seconds:.0f} tickets/s (one process)"
        )
        before = SignalEvent.objects.count()
        singles = make_events(emails, args.events, f"{tag}-s", rng)
        seconds, statuses = send_all(port, singles, args.clients)
        stored = SignalEvent.objects.count() - before
        print(
            f"further events, one per request: {len(singles)} in {seconds:.2f} s = {len(singles) / seconds:.0f} "
            f"events/s ({args.clients} clients, {args.workers} gunicorn workers); statuses {statuses}; "
            f"{stored} stored (the rest replays)"
        )
        events = make_events(emails, args.events, f"{tag}-b", rng)
        batches = [{"events": events[i : i + 50]} for i in range(0, len(events), 50)]
        before = SignalEvent.objects.count()
        seconds, statuses = send_all(port, batches, args.clients)
        stored = SignalEvent.objects.count() - before
        print(
            f"batches of 50: {len(events)} events in {seconds:.2f} s = {len(events) / seconds:.0f} events/s; "
            f"statuses {statuses}; {stored} stored"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        log.close()


def detection(args):
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from helpdesk.models import Ticket
    from incidents.journey.models import Detection, SignalType
    from incidents.journey.rules import new_hits

    rules = {}
    for detection_kind in (d for d in Detection if d != Detection.API):
        rules[detection_kind], _made = SignalType.objects.get_or_create(
            code=f"BENCH-{detection_kind}"[:20],
            defaults={"name": str(detection_kind), "severity": "high", "detection": detection_kind, "is_active": False},
        )

    def measure(label):
        total = Ticket.objects.count()
        for kind, signal_type in rules.items():
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                hits = new_hits(signal_type, timezone.now())
                seconds = time.perf_counter() - started
            print(
                f"{label} {total:>7} tickets  {kind:<26} {seconds:6.3f} s  {len(queries):>2} queries  {len(hits)} hits"
            )

    quiet = open(os.devnull, "w")  # noqa: SIM115 - closed at exit
    call_command("seed_bench", tickets=args.tickets // 10, stdout=quiet)
    measure("tenth")
    call_command("seed_bench", tickets=args.tickets - args.tickets // 10, stdout=quiet)
    measure("full ")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--skip-ingestion", action="store_true")
    parser.add_argument("--skip-detection", action="store_true")
    args = parser.parse_args()
    setup("firstline-bench-signals-")
    from django.db import connection

    print(f"database: {connection.vendor}")
    if not args.skip_ingestion:
        ingestion(args)
    if not args.skip_detection:
        detection(args)


if __name__ == "__main__":
    main()

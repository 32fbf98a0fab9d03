#!/usr/bin/env python
"""Triage benchmark, run by hand (never in the test suite).

On a fresh database (a SQLite file in a temporary folder, or the PostgreSQL
database named by DATABASE_URL) with the demo data and its triage rules:

1. trains the classifier on 80 % of the fixed labelled set
   (bench/data/triage_dataset.jsonl, written by bench/make_triage_dataset.py)
   and reports its category and priority accuracy on the other 20 %;
2. times `triage.decide` (language, flags, classifier, rules, routing) over
   the held-out tickets, on one core, and reports tickets per second;
3. times whole `create_ticket` calls (triage, SLA clocks, assignment, events)
   for comparison.

    .venv/bin/python bench/bench_triage.py [--runs 3] [--create 200] [--profile]

`--profile` runs the create_ticket phase under cProfile and prints the
functions with the most cumulative time, and the queries one ticket costs.
"""

import argparse
import json
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
DATASET = ROOT / "bench" / "data" / "triage_dataset.jsonl"


def load_dataset():
    with DATASET.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def split(rows):
    """Every fifth ticket is held out: the same split on every run."""
    return [r for i, r in enumerate(rows) if i % 5], [r for i, r in enumerate(rows) if not i % 5]


def run(runs, creates, out=print, profile=False):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from helpdesk import services, triage
    from helpdesk.models import User
    from helpdesk.triage import classifier

    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, stdout=StringIO())
    rows = load_dataset()
    train_rows, test_rows = split(rows)
    started = time.perf_counter()
    model = classifier.retrain(
        [(classifier.ticket_text(r["subject"], r["body"]), r["category"], r["priority"]) for r in train_rows]
    )
    out(f"trained on {len(train_rows)} tickets in {time.perf_counter() - started:.1f} s")
    right_category = right_priority = 0
    for r in test_rows:
        guess = classifier.predict(r["subject"], r["body"])
        right_category += guess.category is not None and guess.category.slug == r["category"]
        right_priority += guess.priority == r["priority"]
    out(
        f"held-out accuracy on {len(test_rows)} fixed tickets: category {right_category / len(test_rows):.1%}, "
        f"priority {right_priority / len(test_rows):.1%} (training's own split: {model.category_accuracy:.1%})"
    )
    customer = User.objects.get(username="carmen")
    now = timezone.now()

    def decide(r):
        return triage.decide(
            subject=r["subject"],
            body=r["body"],
            requester=customer,
            channel="web",
            at=now,
            explicit={},
            profile_language="",
        )

    for r in test_rows[:20]:  # warm-up
        decide(r)
    rates, cpu_rates = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        for r in test_rows:
            decide(r)
        rates.append(len(test_rows) / (time.perf_counter() - started))
        cpu_rates.append(len(test_rows) / (time.process_time() - cpu_started))
    # CPU time as well as wall time: on a shared machine the wall clock also counts other people's work.
    out(
        f"triage.decide (rules + classifier + flags + routing), {len(test_rows)} tickets x {runs} runs: "
        f"median {statistics.median(rates):.0f} tickets/s wall clock (best {max(rates):.0f}), "
        f"{statistics.median(cpu_rates):.0f} tickets per CPU second"
    )
    language_right = sum((decide(r).language == r["language"]) for r in test_rows)
    out(f"language detected right on {language_right}/{len(test_rows)} held-out tickets")

    def create(r):
        return services.create_ticket(customer, requester=customer, subject=r["subject"], description=r["body"])

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        create(test_rows[0])
    out(f"create_ticket: {len(queries)} queries for one ticket")
    batch = (test_rows * (1 + creates // len(test_rows)))[:creates]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    for r in batch:
        create(r)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(45)
    out(
        f"create_ticket end to end ({connection.vendor}), {len(batch)} tickets: "
        f"{len(batch) / elapsed:.0f} tickets/s wall clock, {len(batch) / cpu:.0f} tickets per CPU second"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--create", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile the create_ticket phase")
    args = parser.parse_args()
    # One core: no parallel BLAS threads behind the classifier's arithmetic.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix="firstline-triage-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    os.environ.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        Q_SYNC="0",
    )
    try:
        run(args.runs, args.create, profile=args.profile)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

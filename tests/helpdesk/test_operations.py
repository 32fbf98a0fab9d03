"""Running Firstline: health, schedules, roles, demo data and production settings."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from helpdesk import tasks
from helpdesk.models import Message, Role, Ticket, TicketEvent, User, WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def quiet(*args, **kwargs):
    call_command(*args, stdout=StringIO(), **kwargs)


def test_healthz_reports_database_broker_and_heartbeat(client):
    body = client.get("/healthz").json()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["worker_last_heartbeat"] is None
    tasks.heartbeat()
    tasks.heartbeat()
    assert WorkerHeartbeat.objects.count() == 1
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["worker_last_heartbeat"] is not None


def test_healthz_is_503_when_the_broker_does_not_answer(client, monkeypatch):
    class DeadBroker:
        def ping(self):
            raise ConnectionError("broker down")

    monkeypatch.setattr("django_q.brokers.get_broker", lambda *a, **k: DeadBroker())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


def test_setup_schedules_is_idempotent():
    quiet("setup_schedules")
    quiet("setup_schedules")
    assert set(Schedule.objects.values_list("name", flat=True)) == {
        "comms.deliver_due",
        "comms.process_inbound",
        "helpdesk.heartbeat",
        "helpdesk.sweep_sla",
        "helpdesk.refresh_sla_rollup",
        "helpdesk.rebuild_sla_rollup",
        "helpdesk.release_held_replies",
        "helpdesk.sweep_reminders",
        "helpdesk.release_away_tickets",
        "helpdesk.retrain_triage_classifier",
        "helpdesk.forget_old_api_requests",
        "feedback.send_survey_reminders",
        "feedback.refresh_feedback_rollup",
        "feedback.rebuild_feedback_rollup",
        "feedback.send_nps_surveys",
        "incidents.sweep_cadence",
        "incidents.sweep_maintenance",
        "incidents.send_routine_notices",
        "incidents.sweep_signals",
        "incidents.detect_signals",
    }


def test_setup_roles_is_idempotent():
    quiet("setup_roles")
    before = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    quiet("setup_roles")
    after = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert before == after
    assert set(before) == set(Role.values)
    assert "change_ticket" in before["agent"] and "change_servicetier" in before["manager"]
    assert "change_servicetier" not in before["agent"]


def test_seed_demo_is_idempotent_and_makes_the_demo_users(settings):
    settings.DEBUG = True
    quiet("seed_demo")
    counts = (User.objects.count(), Ticket.objects.count(), Message.objects.count(), TicketEvent.objects.count())
    quiet("seed_demo")
    assert counts == (
        User.objects.count(),
        Ticket.objects.count(),
        Message.objects.count(),
        TicketEvent.objects.count(),
    )
    roles = dict(User.objects.values_list("username", "role"))
    for name, role in {
        "admin": "admin",
        "manager": "manager",
        "agent1": "agent",
        "agent2": "agent",
        "engineer": "agent",
        "alice": "customer",
        "bob": "customer",
    }.items():
        assert roles[name] == role
        assert User.objects.get(username=name).check_password("demo")
    assert User.objects.get(username="alice").organization.tier.name == "Enterprise"
    assert User.objects.get(username="bob").organization.tier.name == "Essential"
    assert User.objects.get(username="engineer").support_level == 3
    assert Ticket.objects.filter(status="resolved").exists()
    assert Message.objects.filter(is_internal=True).exists()
    # Portal accounts: alice follows all of Acme's tickets, Acme's staff sign up by domain, Globex is closed.
    alice = User.objects.get(username="alice")
    assert alice.is_org_admin and not User.objects.get(username="bob").is_org_admin
    assert Ticket.objects.visible_to(alice).exclude(requester=alice).exists()
    assert not Ticket.objects.visible_to(alice).exclude(organization=alice.organization).exists()
    assert (alice.organization.signup_policy, alice.organization.email_domains) == ("domain", ["acme.example"])
    assert User.objects.get(username="bob").organization.signup_policy == "closed"
    # One demo ticket API client, for Acme, with the token seed_demo prints.
    from helpdesk.management.commands.seed_demo import DEMO_API_TOKEN
    from helpdesk.models import ApiClient, hash_token

    api_client = ApiClient.objects.get()
    assert api_client.token_hash == hash_token(DEMO_API_TOKEN)
    assert [org.name for org in api_client.organizations.all()] == ["Acme"]


def test_seed_demo_refuses_in_production_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        quiet("seed_demo")
    assert not User.objects.exists()


def test_seed_bench_bulk_inserts_tickets_messages_and_events():
    quiet("seed_bench", tickets=300)
    assert Ticket.objects.count() == 300
    assert Message.objects.count() == 900
    assert TicketEvent.objects.filter(message__isnull=False).count() == 900


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "x7#" * 20 + "production-grade-secret",
            "ALLOWED_HOSTS": "help.example.com",
            "SECURE_HSTS_PRELOAD": "1",
            "FIRSTLINE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage(
        "check",
        env={
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "help.example.com",
            "SECRET_KEY": "",
            "FIRSTLINE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr

"""Shared set-up of the incident benches: a scratch database with production settings (DEBUG off)."""

import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(prefix):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    scratch = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("DATABASE_URL"):
        os.environ["FIRSTLINE_VAR_DIR"] = scratch
    os.environ.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(Path(scratch) / "static"),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def staff():
    from helpdesk.models import Role, User

    manager, _made = User.objects.get_or_create(username="bench-manager", defaults={"role": Role.MANAGER})
    agent, _made = User.objects.get_or_create(username="bench-agent", defaults={"role": Role.AGENT})
    return manager, agent

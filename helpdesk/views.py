"""Views shared by every role: home redirect, health check, attachment download."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .access import get_attachment_for_user
from .models import Role, WorkerHeartbeat

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """Each role lands on its own home."""
    user = request.user
    if user.role == Role.CUSTOMER:
        return redirect("portal:ticket-list")
    if user.role == Role.ADMIN and not user.is_agent:
        return redirect("admin:index")
    if user.role == Role.MANAGER:
        return redirect("manager:dashboard")
    return redirect("helpdesk:ticket-list")


@require_GET
@never_cache
def healthz(request):
    """200 when the database and the task broker answer; 503 otherwise."""
    checks = {}
    beat = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        # Reading the heartbeat also proves the schema is in place (migrated).
        beat = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
        checks["database"] = "ok"
    except Exception as exc:
        logger.exception("healthz: database check failed")
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        from django_q.brokers import get_broker

        ok = get_broker().ping()
        checks["broker"] = "ok" if ok is not False else "error: no answer"
    except Exception as exc:
        logger.exception("healthz: broker check failed")
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "checks": checks,
        # Information only: a worker that is starting up is not an outage.
        "worker_last_heartbeat": beat.isoformat() if beat else None,
        "worker_heartbeat_age_seconds": round((timezone.now() - beat).total_seconds()) if beat else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
@require_GET
def attachment_download(request, pk, name):
    attachment = get_attachment_for_user(request.user, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response

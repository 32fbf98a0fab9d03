"""The inbound email endpoint: a mail relay posts raw messages here."""

import hmac

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .inbound import EmailTooLarge, EmptyEmail, store_inbound_email
from .models import InboundSource


def _bearer_token(request):
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(message, status):
    response = JsonResponse({"error": str(message)}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="inbound-email"'
    return response


@csrf_exempt  # called by a mail relay with a token, never by a browser with a session
@never_cache
def inbound_email(request):
    """Store one raw MIME message (the body, e.g. `Content-Type: message/rfc822`) and process it later.

    Answers 202 with the row's id and status, 401 without the right bearer
    token (compared in constant time), 413 over the size limit, 400 when
    empty, and 404 when no token is configured (the endpoint is off).
    """
    token = settings.INBOUND_EMAIL_TOKEN
    if not token:
        raise Http404
    given = _bearer_token(request)
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return _error(_("A valid bearer token is required."), 401)
    if request.method != "POST":
        response = _error(_("Send the email with POST."), 405)
        response["Allow"] = "POST"
        return response
    limit = settings.FIRSTLINE_INBOUND_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(EmailTooLarge(declared), 413)
    # Read the stream ourselves: request.body would refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE.
    raw = request.read(limit + 1)
    try:
        email, _created = store_inbound_email(raw, source=InboundSource.HTTP)
    except EmailTooLarge as exc:
        return _error(exc, 413)
    except EmptyEmail as exc:
        return _error(exc, 400)
    return JsonResponse({"id": email.pk, "status": email.status}, status=202)

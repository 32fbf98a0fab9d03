"""POST /api/tickets/ and GET /api/tickets/<ref>/: other systems open tickets for our customers.

    POST /api/tickets/
    Authorization: Bearer <API client token>
    Idempotency-Key: <the client's own key for this ticket, up to 120 characters>
    Content-Type: application/json
    {"requester_email": "ana@acme.example",
     "subject": "…", "description": "…"          (Markdown, as on the portal),
     "language": "es"                             (optional: one of LANGUAGES; detected from the text otherwise),
     "priority": "high"                           (optional: critical, high, medium, low),
     "tags": ["webshop"]}                         (optional: tags an admin has created)

The ticket is opened by helpdesk.services.create_ticket on the `api`
channel, so triage decides its category, priority, queue and assignee as for
the portal and email, and the requester gets the same acknowledgement. A
`priority` is what the customer said (triage rules overrule it, as on the
portal); category, queue and assignee cannot be sent at all. Answers 201:

    {"ticket": "FL-1042", "url": "https://…/portal/tickets/FL-1042/", "status": "new",
     "priority": "high", "language": "es", "queue": "Billing", "category": "billing", "assigned": true}

The same Idempotency-Key with the same body gets the same answer (201, with
`Idempotent-Replayed: true`) and opens nothing; with a different body, 409.
A key is honoured for FIRSTLINE_TICKET_API_KEEP_DAYS (30 by default); a
daily sweep then forgets the request, not its ticket.
Every refusal is a 4xx JSON `{"error": "…", "field": "…"}` and stores
nothing: 400 malformed JSON or a missing Idempotency-Key, 401 no or an unknown
token, 403 a switched-off client, 413 too big, 415 not JSON, 422 a field
missing, of the wrong type, too long or unknown, 429 too many requests.
A requester outside the client's organizations is refused exactly as an
unknown address (422 on `requester_email`): the answer does not tell
whether the address exists elsewhere. GET answers a ticket's public state,
and 404 alike for tickets that do not exist and those out of scope.
"""

import hashlib
import json

from django.conf import settings
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import ratelimit
from .api_clients import KeyReused, RequesterNotFound, describe_state, open_ticket_by_api, stored_answer
from .models import ApiClient, Priority, Tag, Ticket, hash_token, ref_to_pk

FIELDS = {"requester_email", "subject", "description", "language", "priority", "tags"}
PRIORITIES = {choice.name.lower(): choice for choice in Priority}
MAX_KEY = 120
MAX_SUBJECT = 200  # Ticket.subject
MAX_DESCRIPTION = 20000  # as the portal's form
MAX_TAGS = 10
NOT_IN_SCOPE = "No customer with this email address is in this client's organizations."


class Refusal(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _error(status, message, field=None):
    body = {"error": message}
    if field:
        body["field"] = field
    response = JsonResponse(body, status=status)
    if status == 429:
        response["Retry-After"] = str(settings.FIRSTLINE_RATE_LIMITS["ticket-api"][1])
    return response


def authenticate(request):
    """The active API client of the bearer token, within its rate limit; Refusal otherwise."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(401, "Send the API client's token as `Authorization: Bearer <token>`.", "Authorization")
    client = ApiClient.objects.filter(token_hash=hash_token(token.strip())).first()
    if client is None:
        raise Refusal(401, "The token is not valid.", "Authorization")
    if not client.is_active:
        raise Refusal(403, "This API client is switched off.", "Authorization")
    if not ratelimit.allow_for("ticket-api", f"client-{client.pk}"):
        raise Refusal(429, "Too many requests from this API client; try again in a minute.")
    return client


def _string(document, name, *, limit, required=True):
    value = document.get(name)
    if value is None and not required:
        return None
    if value is None:
        raise Refusal(422, f"`{name}` is required.", name)
    if not isinstance(value, str) or not value.strip():
        raise Refusal(422, f"`{name}` must be a non-empty string.", name)
    if len(value) > limit:
        raise Refusal(422, f"`{name}` is longer than {limit} characters.", name)
    return value.strip()


def check_ticket(document):
    """The body's fields as typed values; Refusal naming the first field that is wrong."""
    if not isinstance(document, dict):
        raise Refusal(400, "The body must be a JSON object.", "body")
    unknown = sorted(set(document) - FIELDS)
    if unknown:
        raise Refusal(422, f"Unknown field {unknown[0]!r}; expected {', '.join(sorted(FIELDS))}.", unknown[0])
    clean = {
        "requester_email": _string(document, "requester_email", limit=254),
        "subject": " ".join(_string(document, "subject", limit=MAX_SUBJECT).split()),
        "description": _string(document, "description", limit=MAX_DESCRIPTION),
    }
    if "@" not in clean["requester_email"]:
        raise Refusal(422, "`requester_email` must be an email address.", "requester_email")
    language = _string(document, "language", limit=10, required=False)
    if language is not None and language not in dict(settings.LANGUAGES):
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        raise Refusal(422, f"`language` must be one of {codes}.", "language")
    clean["language"] = language
    priority = _string(document, "priority", limit=10, required=False)
    if priority is not None and priority not in PRIORITIES:
        raise Refusal(422, f"`priority` must be one of {', '.join(PRIORITIES)}.", "priority")
    clean["priority"] = PRIORITIES[priority] if priority else None
    tags = document.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        raise Refusal(422, "`tags` must be an array of tag names.", "tags")
    if len(tags) > MAX_TAGS:
        raise Refusal(422, f"At most {MAX_TAGS} tags.", "tags")
    clean["tags"] = list(dict.fromkeys(tag.strip() for tag in tags))
    return clean


def _tags(names):
    """The Tag rows named, in the order given: one query whatever their number; unknown names are refused."""
    if not names:
        return []
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise Refusal(422, f"Unknown tag {missing[0]!r}: an admin creates tags first.", "tags")
    return [found[name] for name in names]


def _idempotency_key(request):
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise Refusal(400, "Send an `Idempotency-Key` header: your own unique key for this ticket.", "Idempotency-Key")
    if len(key) > MAX_KEY:
        raise Refusal(400, f"The `Idempotency-Key` is longer than {MAX_KEY} characters.", "Idempotency-Key")
    return key


def _read_body(request):
    length = request.headers.get("Content-Length") or "0"
    limit = settings.FIRSTLINE_TICKET_API_MAX_BODY_BYTES
    if not length.isdigit() or int(length) > limit:
        raise Refusal(413, f"The request body is over {limit} bytes.", "body")
    if request.content_type != "application/json":
        raise Refusal(415, "Send JSON (Content-Type: application/json).", "Content-Type")
    key = _idempotency_key(request)
    if len(request.body) > limit:  # a chunked body announces no length
        raise Refusal(413, f"The request body is over {limit} bytes.", "body")
    try:
        return key, json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "The body is not valid JSON.", "body") from None


def _answer(answer, *, replayed):
    response = JsonResponse(answer, status=201)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _replay(client, key, fingerprint):
    try:
        return stored_answer(client, key, fingerprint)
    except KeyReused:
        raise Refusal(409, "This Idempotency-Key was already used for a different ticket.", "Idempotency-Key") from None


@csrf_exempt
@require_POST
def ticket_create(request):
    try:
        client = authenticate(request)
        key, document = _read_body(request)
        clean = check_ticket(document)
        fingerprint = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        answer = _replay(client, key, fingerprint)
        if answer is not None:
            return _answer(answer, replayed=True)
        tags = _tags(clean.pop("tags"))
        try:
            answer = open_ticket_by_api(client, key=key, fingerprint=fingerprint, tags=tags, **clean)
        except IntegrityError:
            # A concurrent request with the same key committed first (we waited on its row): answer as it did.
            answer = _replay(client, key, fingerprint)
            if answer is None:
                raise
            return _answer(answer, replayed=True)
    except Refusal as refusal:
        return _error(refusal.status, refusal.message, refusal.field)
    except RequesterNotFound as not_found:
        message = "Several customers share this email address." if not_found.ambiguous else NOT_IN_SCOPE
        return _error(422, message, "requester_email")
    return _answer(answer, replayed=False)


@require_GET
def ticket_detail(request, ref):
    try:
        client = authenticate(request)
    except Refusal as refusal:
        return _error(refusal.status, refusal.message, refusal.field)
    pk = ref_to_pk(ref)
    ticket = Ticket.objects.for_api_client(client).with_public_state().filter(pk=pk).first() if pk else None
    if ticket is None:
        # The same answer for a ticket that does not exist and for one of another organization.
        return _error(404, "No ticket with this reference.", "ref")
    return JsonResponse(describe_state(ticket))

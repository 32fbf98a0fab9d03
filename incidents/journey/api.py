"""POST /api/signals/: other systems tell us about a customer's journey.

    Authorization: Bearer <integration token>
    {"signal": "SIG-002", "idempotency_key": "order-981-esim-failed",
     "customer_email": "ana@example.com"            (or "customer_id": "<the integration's id>"),
     "occurred_at": "2026-11-24T09:10:00Z"          (optional, ISO 8601; now when absent),
     "data": {"summary": "…", "order_id": "981"}}   (optional, an object, size-limited)

or {"events": [ … up to FIRSTLINE_SIGNAL_MAX_BATCH of those … ]}. Answers 202 with
`{"event": <id>, "ticket": "FL-1042"}` (a batch: `{"events": [ … ]}`); `ticket`
is null while the worker has not yet opened the customer's proactive ticket
(a second or so; the same key sent again then names it). Every refusal is a
4xx JSON `{"error": "…", "field": "…"}` (with `index` in a batch) and stores
nothing: a batch is one transaction, recorded set-wise (see
engine.ingest_signals). The same key again changes nothing; the same key
with a different event is refused with 409.
"""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Upper
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from helpdesk.models import Role, Ticket, User, hash_token

from .engine import Incoming, KeyReused, ingest_signals
from .models import CustomerIdentity, Integration, ProactiveCase, SignalType

FIELDS = {"signal", "idempotency_key", "customer_email", "customer_id", "occurred_at", "data"}
MAX_KEY = 120
DEADLOCK_RETRIES = 3


class Refusal(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _error(status, message, field=None, index=None):
    body = {"error": message}
    if field:
        body["field"] = field
    if index is not None:
        body["index"] = index
    return JsonResponse(body, status=status)


def authenticate(request):
    """The integration of the bearer token, with the signal types it may send: one query on the common path."""
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(401, "Send the integration's token as `Authorization: Bearer <token>`.", "Authorization")
    token_hash = hash_token(token.strip())
    scope = list(
        Integration.allowed_signals.through.objects.filter(
            integration__token_hash=token_hash, integration__is_active=True, signaltype__is_active=True
        ).select_related("integration", "signaltype__queue")
    )
    if scope:
        integration = scope[0].integration
        integration.scope = {row.signaltype.code: row.signaltype for row in scope}
        return integration
    integration = Integration.objects.filter(token_hash=token_hash, is_active=True).first()
    if integration is None:
        raise Refusal(401, "The token is not valid or its integration is switched off.", "Authorization")
    integration.scope = {}
    return integration


class Catalogue:
    """Signal types and customers of a request, each kind read in one query."""

    def __init__(self, integration, events=()):
        self.integration = integration
        self.allowed = integration.scope
        self.by_email, self.by_id = {}, {}
        emails = {e["customer_email"].upper() for e in events if "customer_email" in e}
        if emails:
            customers = (
                User.objects.filter(role=Role.CUSTOMER, is_active=True)
                .annotate(email_upper=Upper("email"))
                .filter(email_upper__in=emails)
                .order_by("-pk")
            )
            # The oldest account wins when two share an address (the latest assignment is the lowest pk).
            self.by_email = {customer.email_upper: customer for customer in customers}
        ids = {e["customer_id"] for e in events if "customer_id" in e}
        if ids:
            identities = CustomerIdentity.objects.filter(
                integration=integration,
                external_id__in=ids,
                customer__is_active=True,
                customer__role=Role.CUSTOMER,
            ).select_related("customer")
            self.by_id = {identity.external_id: identity.customer for identity in identities}

    def signal_type(self, code):
        found = self.allowed.get(code)
        if found is not None:
            return found
        if SignalType.objects.active().filter(code=code).exists():
            raise Refusal(403, f"This integration may not send {code!r}.", "signal")
        raise Refusal(422, f"Unknown signal code {code!r}.", "signal")

    def customer(self, event):
        if "customer_id" in event:
            found = self.by_id.get(event["customer_id"])
            if found is None:
                raise Refusal(422, "No customer has this id for this integration.", "customer_id")
            return found
        found = self.by_email.get(event["customer_email"].upper())
        if found is None:
            raise Refusal(422, "No customer has this email address.", "customer_email")
        return found


def _string(event, name, *, required=True, limit=254):
    value = event.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Refusal(400, f"`{name}` must be a non-empty string.", name)
    if len(value) > limit:
        raise Refusal(400, f"`{name}` is longer than {limit} characters.", name)
    return value.strip()


def check_event(event):
    """The event's fields as typed values; Refusal naming the first field that is wrong."""
    if not isinstance(event, dict):
        raise Refusal(400, "An event must be a JSON object.", "event")
    unknown = sorted(set(event) - FIELDS)
    if unknown:
        raise Refusal(400, f"Unknown field {unknown[0]!r}; expected {', '.join(sorted(FIELDS))}.", unknown[0])
    clean = {
        "signal": _string(event, "signal", limit=20),
        "idempotency_key": _string(event, "idempotency_key", limit=MAX_KEY),
    }
    if ("customer_email" in event) == ("customer_id" in event):
        raise Refusal(400, "Send exactly one of `customer_email` and `customer_id`.", "customer_email")
    if "customer_email" in event:
        clean["customer_email"] = _string(event, "customer_email")
    else:
        clean["customer_id"] = _string(event, "customer_id", limit=120)
    occurred = event.get("occurred_at")
    if occurred is not None:
        parsed = parse_datetime(occurred) if isinstance(occurred, str) else None
        if parsed is None:
            raise Refusal(400, "`occurred_at` must be an ISO 8601 date and time.", "occurred_at")
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        clean["occurred_at"] = parsed
    data = event.get("data", {})
    if not isinstance(data, dict):
        raise Refusal(400, "`data` must be a JSON object.", "data")
    if len(json.dumps(data, ensure_ascii=False).encode()) > settings.FIRSTLINE_SIGNAL_MAX_DATA_BYTES:
        raise Refusal(413, f"`data` is over {settings.FIRSTLINE_SIGNAL_MAX_DATA_BYTES} bytes.", "data")
    clean["data"] = data
    clean["fingerprint"] = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
    return clean


def _answer(recorded):
    # The ticket is opened by the worker: null until then (the same key sent again later names it).
    return {"event": recorded.event_id, "ticket": Ticket.ref_for(recorded.ticket_id) if recorded.ticket_id else None}


def resolve(catalogue, clean):
    """The event's signal type and customer, read without writing anything (a replay is found when recorded)."""
    return {**clean, "signal_type": catalogue.signal_type(clean["signal"]), "customer": catalogue.customer(clean)}


def record_all(integration, resolved, now):
    """Record every event in one transaction (a batch is all or nothing); answers in the order sent."""
    items = [
        Incoming(
            signal_type=item["signal_type"],
            customer_id=item["customer"].pk,
            key=item["idempotency_key"],
            fingerprint=item["fingerprint"],
            payload=item["data"],
            occurred_at=item.get("occurred_at"),
        )
        for item in resolved
    ]
    with transaction.atomic():
        return [_answer(recorded) for recorded in ingest_signals(items, integration=integration, now=now)]


@csrf_exempt
@require_POST
def signal_ingest(request):
    try:
        integration = authenticate(request)
    except Refusal as refusal:
        return _error(refusal.status, refusal.message, refusal.field)
    length = request.headers.get("Content-Length") or "0"
    limit = settings.FIRSTLINE_SIGNAL_MAX_BODY_BYTES
    if not length.isdigit() or int(length) > limit:
        return _error(413, f"The request body is over {limit} bytes.", "body")
    if request.content_type != "application/json":
        return _error(415, "Send JSON (Content-Type: application/json).", "Content-Type")
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "The body is not valid JSON.", "body")
    batch = isinstance(document, dict) and "events" in document
    events = document.get("events") if batch else [document]
    if not isinstance(events, list) or not events:
        return _error(400, "`events` must be a non-empty array.", "events")
    if len(events) > settings.FIRSTLINE_SIGNAL_MAX_BATCH:
        return _error(413, f"At most {settings.FIRSTLINE_SIGNAL_MAX_BATCH} events per request.", "events")
    index = None
    try:
        checked = []
        for index, event in enumerate(events):  # noqa: B007 - the except clause names the event
            checked.append(check_event(event))
        catalogue = Catalogue(integration, checked)
        resolved = []
        for index, clean in enumerate(checked):  # noqa: B007 - the except clause names the event
            resolved.append(resolve(catalogue, clean))
        index = None
        now = timezone.now()
        for attempt in range(DEADLOCK_RETRIES):
            try:
                answers = record_all(integration, resolved, now)
                break
            except OperationalError:
                # A deadlock or a busy SQLite file: the transaction rolled back whole; try once more.
                if attempt == DEADLOCK_RETRIES - 1:
                    raise
    except Refusal as refusal:
        return _error(refusal.status, refusal.message, refusal.field, index if batch else None)
    except KeyReused as reused:
        # A replayed key with different contents: refused, and the batch with it.
        message = "This idempotency key was already used for a different event."
        return _error(409, message, "idempotency_key", reused.index if batch else None)
    except IntegrityError:
        # The same key raced in from another request, which won: sending it again gets the stored answer.
        return _error(409, "This event is being recorded by a concurrent request; send it again.", "idempotency_key")
    return JsonResponse({"events": answers} if batch else answers[0], status=202)


@require_GET
def customer_context(request):
    """GET /api/signals/context/?customer_email=… (or customer_id=…): what the portal or bot should know.

    The customer's open proactive case, limited to signal types an admin
    shares with the bot, so a chatbot can open with "we are already on it"
    instead of asking what is wrong. Same token as the ingestion endpoint.
    """
    try:
        integration = authenticate(request)
        query = {k: request.GET[k] for k in ("customer_email", "customer_id") if request.GET.get(k)}
        if len(query) != 1:
            raise Refusal(400, "Ask with exactly one of `customer_email` and `customer_id`.", "customer_email")
        customer = Catalogue(integration, [query]).customer(query)
    except Refusal as refusal:
        return _error(refusal.status, refusal.message, refusal.field)
    case = (
        ProactiveCase.objects.open()
        .filter(customer=customer)
        .select_related("ticket")
        .order_by("-last_detected_at")
        .first()
    )
    signals, all_shared = [], False
    if case is not None:
        events = list(case.events.select_related("signal_type").order_by("-pk")[:50])
        all_shared = all(e.signal_type.bot_context for e in events)
        signals = [
            {
                "signal": e.signal_type.code,
                "issue": e.signal_type.name,
                "severity": e.signal_type.severity,
                "detected_at": e.received_at.isoformat(),
            }
            for e in events
            if e.signal_type.bot_context
        ][:10]
    if not signals:
        return JsonResponse({"customer": customer.email, "proactive_context": None})
    return JsonResponse(
        {
            "customer": customer.email,
            "proactive_context": {
                "ticket": case.ticket.ref if case.ticket_id else None,
                "status": case.ticket.status if case.ticket_id else "new",
                "signals": signals,
                "contacted_at": case.last_outreach_at.isoformat() if case.last_outreach_at else None,
                # The draft may name signals not shared with the bot: only when every one of them is.
                "what_to_tell_customer": case.draft_subject if all_shared else None,
            },
        }
    )

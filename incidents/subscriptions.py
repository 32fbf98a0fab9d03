"""Email subscriptions to the status page: request, confirm by link, unsubscribe in one click, receive updates.

Nobody is subscribed without proving they read the address's mail: a
request only stores a pending row and emails a single-use link (its token
kept as a SHA-256, valid for CONFIRM_HOURS). The answer to a request is
the same whether or not the address is known, so the form tells nobody who
subscribes. Requests are limited per requesting address and per email, so
the form cannot be used to flood someone's inbox.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from comms.models import OutboundChannel
from comms.services import build_message, queue_message
from comms.templating import render, render_subject
from helpdesk.models import hash_token

from .models import StatusSubscription

CONFIRM_HOURS = 24
# At most this many requests from one network address per hour, and for one email per day.
LIMIT_PER_ADDRESS_PER_HOUR = 5
LIMIT_PER_EMAIL_PER_DAY = 3
# Pending requests nobody confirmed are deleted this long after their link expired.
PURGE_AFTER = timedelta(days=2)
CONFIRM_SLUG = "status-subscription-confirm"
UPDATE_SLUG = "status-subscriber-update"


class RateLimited(Exception):
    """Too many subscription requests; the message says when to try again."""


def _hash_address(address):
    return hashlib.sha256((address or "").encode()).hexdigest() if address else ""


def subscribed_label(subscription, components=None):
    if subscription.all_components:
        return _("every component")
    names = [c.name for c in (components if components is not None else subscription.components.all())]
    return ", ".join(names) or _("every component")


def request_subscription(email, *, components=(), all_components=True, address="", language="", now=None):
    """Store a pending subscription and email its confirmation link; RateLimited when asked too often.

    A confirmed subscription of the same email stays as it is until the new
    one is confirmed, which then replaces it (so a stranger cannot change
    what someone else follows, only send them one more confirmation).
    """
    now = now or timezone.now()
    email = email.strip().lower()
    requested_from = _hash_address(address)
    recent = StatusSubscription.objects.filter(created_at__gt=now - timedelta(hours=1))
    if requested_from and recent.filter(requested_from=requested_from).count() >= LIMIT_PER_ADDRESS_PER_HOUR:
        raise RateLimited(_("Too many subscription requests from your network. Please try again in an hour."))
    today = StatusSubscription.objects.filter(created_at__gt=now - timedelta(days=1), email=email)
    if today.count() >= LIMIT_PER_EMAIL_PER_DAY:
        raise RateLimited(
            _("We already sent several confirmation links to this address today. Please use one, or try tomorrow.")
        )
    token = secrets.token_urlsafe(32)
    components = list(components)
    with transaction.atomic():
        StatusSubscription.objects.filter(confirmed_at__isnull=True, confirm_expires_at__lt=now - PURGE_AFTER).delete()
        subscription = StatusSubscription.objects.create(
            email=email,
            all_components=all_components or not components,
            language=language or settings.LANGUAGE_CODE,
            confirm_token_hash=hash_token(token),
            confirm_expires_at=now + timedelta(hours=CONFIRM_HOURS),
            unsubscribe_token=secrets.token_urlsafe(32),
            requested_from=requested_from,
            created_at=now,
        )
        if not subscription.all_components:
            subscription.components.set(components)
        _queue_confirmation(subscription, token, components)
    return subscription


def _queue_confirmation(subscription, token, components):
    from .notices import Texts, template_for

    subject, body, _short, used = Texts(template_for(CONFIRM_SLUG)).get(subscription.language)
    with translation.override(used):
        values = {
            "confirm_url": settings.FIRSTLINE_SITE_URL + reverse("status:subscription-confirm", args=[token]),
            "confirm_by": date_format(timezone.localtime(subscription.confirm_expires_at), "DATETIME_FORMAT")
            + " "
            + timezone.localtime(subscription.confirm_expires_at).strftime("%Z"),
            "subscribed_components": subscribed_label(subscription, components),
            "site_url": settings.FIRSTLINE_SITE_URL,
        }
    queue_message(
        channel=OutboundChannel.EMAIL,
        key=f"status-subscription:{subscription.pk}:confirm",
        to=subscription.email,
        subject=render_subject(subject, values),
        body=render(body, values),
        template_slug=CONFIRM_SLUG,
        language=used,
    )


def pending_for_token(token, *, now=None):
    """The pending subscription this confirmation token opens, or None (unknown, used or expired)."""
    if not token or len(token) > 100:
        return None
    subscription = StatusSubscription.objects.filter(confirm_token_hash=hash_token(token)).first()
    if subscription is None or subscription.confirm_expires_at <= (now or timezone.now()):
        return None
    return subscription


def confirm_subscription(token, *, now=None):
    """Confirm the subscription of a valid token, once; it replaces that email's earlier subscription.

    Returns the subscription, or None for a token that is unknown, already
    used or expired: the caller says so and nothing changes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscription = pending_for_token(token, now=now)
        if subscription is None:
            return None
        # The email's earlier subscription ends first, so the one-active-per-email constraint always holds.
        StatusSubscription.objects.active().filter(email=subscription.email).exclude(pk=subscription.pk).update(
            unsubscribed_at=now
        )
        # The conditional UPDATE is the claim: of two concurrent confirmations only one changes a row.
        claimed = StatusSubscription.objects.filter(pk=subscription.pk, confirm_token_hash=hash_token(token)).update(
            confirm_token_hash=None, confirmed_at=now
        )
        if not claimed:
            transaction.set_rollback(True)
            return None
        subscription.refresh_from_db()
    return subscription


def subscription_for_unsubscribe(token):
    if not token or len(token) > 100:
        return None
    return StatusSubscription.objects.filter(unsubscribe_token=token, confirmed_at__isnull=False).first()


def unsubscribe(token, *, now=None):
    """End the one subscription this token belongs to (a second click changes nothing); None if unknown."""
    subscription = subscription_for_unsubscribe(token)
    if subscription is None:
        return None
    if subscription.unsubscribed_at is None:
        StatusSubscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now or timezone.now()
        )
        subscription.refresh_from_db()
    return subscription


def subscriber_rows(incident, update, values, now, *, key_prefix=None):
    """Outbox rows (unsaved) of one public update for every active subscriber following its components.

    Keyed per subscription and update, so a re-run writes nothing new.
    Internal incidents reach nobody here: subscribers only hear what the
    status page shows.
    """
    from .notices import Texts, template_for

    if not incident.is_public:
        return []
    component_ids = [a.component_id for a in incident.affected.all()]
    texts = Texts(template_for(UPDATE_SLUG))
    names = {a.component_id: a.component.name for a in incident.affected.all()}
    subscriptions = (
        StatusSubscription.objects.following(component_ids)
        .prefetch_related("components")
        .order_by("pk")
        .only("pk", "email", "all_components", "language", "unsubscribe_token")
    )
    site = settings.FIRSTLINE_SITE_URL
    key_prefix = key_prefix or f"incident:{incident.pk}:update:{update.pk}"
    rows = []
    for subscription in subscriptions:
        subject, body, _short, used = texts.get(subscription.language or settings.LANGUAGE_CODE)
        followed = [c for c in subscription.components.all() if c.pk in names] or list(subscription.components.all())
        with translation.override(used):
            label = subscribed_label(subscription, followed)
        mine = {
            **values,
            "subscribed_components": label,
            "unsubscribe_url": site + reverse("status:unsubscribe", args=[subscription.unsubscribe_token]),
        }
        try:
            rows.append(
                build_message(
                    channel=OutboundChannel.EMAIL,
                    key=f"{key_prefix}:subscription:{subscription.pk}",
                    to=subscription.email,
                    subject=render_subject(subject, mine),
                    body=render(body, mine),
                    reference=incident.ref,
                    thread=incident.ref,
                    template_slug=texts.template.slug,
                    language=used,
                    now=now,
                )
            )
        except ValueError:
            continue  # an address that passed the form but not the outbox's stricter check
    return rows

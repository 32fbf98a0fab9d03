"""Writes on integrations: tokens are shown once and stored only as a hash."""

import secrets

from django.db import transaction

from helpdesk.models import hash_token

from .models import Integration, SignalType

TOKEN_PREFIX = "fls_"  # noqa: S105 - a visible prefix so a leaked token is recognisable, not a secret


def new_token():
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_integration(actor, *, name, signal_codes=(), token=None):
    """A new integration allowed to send `signal_codes`; returns (integration, token) — the only time it is seen."""
    token = token or new_token()
    with transaction.atomic():
        integration = Integration.objects.create(name=name, token_hash=hash_token(token), token_hint=token[:10])
        integration.allowed_signals.set(SignalType.objects.filter(code__in=signal_codes))
    return integration, token


def rotate_token(actor, integration, *, token=None):
    """Replace the integration's token: the old one stops working at once. Returns the new token."""
    token = token or new_token()
    Integration.objects.filter(pk=integration.pk).update(token_hash=hash_token(token), token_hint=token[:10])
    integration.refresh_from_db()
    return token

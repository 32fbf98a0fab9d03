"""Customer accounts: self-service sign-up, confirming the address, and the emails about accounts.

Every email here is rendered from an admin-edited MessageTemplate of kind
`account` in the recipient's language (the built-in text while none is
installed) and written to the outbox; nothing is sent directly.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import TIME_STRINGS

from comms.defaults import built_in_template
from comms.models import MessageTemplate
from comms.services import queue_email, render_template

from .models import Role, User
from .services import set_user_role

ACTIVATION_SALT = "helpdesk.accounts.activation"


class ActivationError(Exception):
    """A confirmation link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def absolute_url(path):
    return settings.FIRSTLINE_SITE_URL + path


def duration_text(seconds):
    """'2 days', '12 hours', '30 minutes' in the active language: how long a link works.

    Django's own `timesince` words, which Django already translates into every
    language Firstline offers.
    """
    if seconds >= 86400 and seconds % 86400 == 0:
        return TIME_STRINGS["day"] % {"num": seconds // 86400}
    if seconds >= 3600:
        return TIME_STRINGS["hour"] % {"num": seconds // 3600}
    return TIME_STRINGS["minute"] % {"num": max(seconds // 60, 1)}


def _digest(text):
    return hashlib.sha256((text or "").strip().lower().encode()).hexdigest()[:16]


def queue_account_email(user, *, slug, key, values=None, expires_after=None):
    """Render the account template `slug` in `user`'s language and write it to the outbox once per `key`."""
    if not user.email:
        return None
    template = MessageTemplate.objects.filter(slug=slug, is_active=True).first() or built_in_template(slug)
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "customer_name": user.display_name,
            "organization": user.organization.name if user.organization_id else "",
            "site_url": settings.FIRSTLINE_SITE_URL,
            "login_url": absolute_url(reverse("login")),
            "reset_url": absolute_url(reverse("password_reset")),
            "expires_in": duration_text(expires_after) if expires_after else "",
            **(values or {}),
        }
        rendered = render_template(template, language=language, values=values)
    return queue_email(
        key=key,
        to=user.email,
        subject=rendered["subject"],
        body=rendered["body"],
        recipient_user_id=user.pk,
        reference=f"account:{user.pk}",
    )


# --- sign-up and confirmation ------------------------------------------------------------


def activation_token(user):
    """A signed, timestamped token naming the account and its address (checked by `activate_account`)."""
    return signing.dumps({"user": user.pk, "email": _digest(user.email)}, salt=ACTIVATION_SALT)


def send_activation(user):
    """The confirmation link, at most once an hour per account however often sign-up is tried again."""
    url = absolute_url(reverse("account-activate", args=[activation_token(user)]))
    hour = timezone.now().strftime("%Y%m%d%H")
    return queue_account_email(
        user,
        slug="account-activation",
        key=f"account:{user.pk}:activation:{hour}",
        values={"activation_url": url},
        expires_after=settings.FIRSTLINE_ACTIVATION_MAX_AGE,
    )


def send_already_registered(user):
    """Tell the owner of an address that someone tried to sign up with it, at most once a day."""
    day = timezone.now().strftime("%Y%m%d")
    return queue_account_email(user, slug="account-exists", key=f"account:{user.pk}:already-registered:{day}")


def sign_up(actor, organization, *, name, email, password, language):
    """Create a customer account of `organization`, inactive until the emailed link is opened.

    An address that already has an account creates nothing: a pending account
    gets its confirmation link again, any other a note that it already has an
    account. Callers show the same page either way, so sign-up never tells
    whether an address is registered; the password is hashed either way so
    that the time taken does not tell either. Returns the new user or None.
    """
    email = User.objects.normalize_email(email.strip())
    existing = User.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is None:
        first_name, _space, last_name = " ".join(name.split()).partition(" ")
        user = User(
            username=email.lower(),
            email=email,
            first_name=first_name[:150],
            last_name=last_name[:150],
            role=Role.CUSTOMER,
            organization=organization,
            language=language,
            is_active=False,
            pending_activation=True,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
                set_user_role(actor, user, role=Role.CUSTOMER)
                send_activation(user)
            return user
        except IntegrityError:
            # The same address signed up a moment ago, or is someone's username.
            existing = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
            if existing is None:
                raise
    else:
        make_password(password)
    if existing.pending_activation:
        send_activation(existing)
    else:
        send_already_registered(existing)
    return None


def create_customer_for_address(actor, organization, *, email, name=""):
    """A customer of `organization` for an address that reached us (inbound email, the ticket API).

    No password: they set one by password reset. The username is the address,
    numbered when another account has it already.
    """
    username = email[:150]
    taken = set(User.objects.filter(username__startswith=username[:140]).values_list("username", flat=True))
    number = 1
    while username in taken:
        number += 1
        username = f"{email[:140]}-{number}"
    user = User(username=username, email=email, first_name=name[:150], role=Role.CUSTOMER, organization=organization)
    user.set_unusable_password()
    with transaction.atomic():
        user.save()
        set_user_role(actor, user, role=Role.CUSTOMER)
    return user


def read_activation_token(token):
    """The account a confirmation token names; ActivationError when it is forged, expired or used."""
    try:
        data = signing.loads(token, salt=ACTIVATION_SALT, max_age=settings.FIRSTLINE_ACTIVATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ActivationError("expired") from None
    except signing.BadSignature:
        raise ActivationError("invalid") from None
    user = User.objects.filter(pk=data.get("user") if isinstance(data, dict) else None).first()
    if user is None or data.get("email") != _digest(user.email):
        raise ActivationError("invalid")
    if not user.pending_activation:
        raise ActivationError("used")
    return user


def activate_account(actor, token):
    """Confirm the address a token names and switch the account on; a link works once."""
    with transaction.atomic():
        user = read_activation_token(token)
        activated = User.objects.filter(pk=user.pk, pending_activation=True).update(
            is_active=True, pending_activation=False
        )
        if not activated:  # a second click that raced the first
            raise ActivationError("used")
    user.refresh_from_db()
    return user


# --- password reset --------------------------------------------------------------------------


def send_password_reset(user, *, reset_url, token):
    """One email per reset token: a second request (a new token) sends a second mail, a retry none."""
    return queue_account_email(
        user,
        slug="password-reset",
        key=f"account:{user.pk}:password-reset:{hashlib.sha256(token.encode()).hexdigest()[:24]}",
        values={"reset_url": reset_url},
        expires_after=settings.PASSWORD_RESET_TIMEOUT,
    )

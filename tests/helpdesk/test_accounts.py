"""Customer accounts: sign-up by domain or open organization, confirming the address, password reset."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils import timezone

from comms.defaults import install_default_templates
from comms.models import MessageTemplate, OutboundMessage
from helpdesk import accounts
from helpdesk.admin import OrganizationForm
from helpdesk.forms_accounts import OutboxPasswordResetForm
from helpdesk.models import Role, SignupPolicy, User

from .factories import CustomerFactory, OrganizationFactory, ServiceTierFactory

pytestmark = pytest.mark.django_db
SIGNUP = reverse("signup")
LOGIN = reverse("login")
RESET = reverse("password_reset")
GOOD_PASSWORD = "violet-harbour-42"  # noqa: S105 - a test password


@pytest.fixture
def acme(db):
    return OrganizationFactory(name="Acme", signup_policy=SignupPolicy.DOMAIN, email_domains=["acme.example"])


@pytest.fixture
def globex(db):
    return OrganizationFactory(name="Globex", email_domains=["globex.example"])  # closed


@pytest.fixture
def initech(db):
    return OrganizationFactory(name="Initech", signup_policy=SignupPolicy.OPEN)


def sign_up(client, email, *, name="Nora Newman", password=GOOD_PASSWORD, organization=None, **headers):
    data = {"name": name, "email": email, "password": password}
    if organization is not None:
        data["organization"] = organization
    return client.post(SIGNUP, data, **headers)


def link_in(row, path_start):
    """The path of the first link in an outbox row's body that starts with `path_start`."""
    for url in re.findall(r"https?://\S+", row.body):
        path = urlsplit(url).path
        if path.startswith(path_start):
            return path
    raise AssertionError(f"no {path_start} link in {row.body!r}")


def activation_rows():
    return OutboundMessage.objects.filter(idempotency_key__contains=":activation:")


# --- signing up ------------------------------------------------------------------------------


def test_login_page_links_to_sign_up_only_when_an_organization_allows_it(client, globex):
    html = client.get(LOGIN).content.decode()
    assert SIGNUP not in html and RESET in html
    OrganizationFactory(signup_policy=SignupPolicy.OPEN)
    assert SIGNUP in client.get(LOGIN).content.decode()


def test_sign_up_by_domain_creates_an_inactive_customer_and_queues_its_confirmation(client, acme, globex):
    response = sign_up(client, "Nora.Newman@ACME.example", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302 and response["Location"] == reverse("signup-done")
    user = User.objects.get(email__iexact="nora.newman@acme.example")
    assert (user.organization, user.role, user.is_active, user.pending_activation) == (acme, Role.CUSTOMER, False, True)
    assert (user.first_name, user.last_name, user.language) == ("Nora", "Newman", "es")
    assert user.groups.filter(name=Role.CUSTOMER).exists()
    row = activation_rows().get()
    assert row.recipient == user.email and row.recipient_user_id == user.pk
    assert row.subject.startswith("Confirme su correo")
    assert "2 días" in row.body and "Acme" in row.body
    assert link_in(row, "/accounts/activate/")


def test_sign_up_offers_only_open_organizations(client, acme, globex, initech):
    html = client.get(SIGNUP).content.decode()
    assert "Initech" in html
    assert "Acme" not in html and "Globex" not in html
    sign_up(client, "pat@example.org", organization=initech.pk)
    assert User.objects.get(email="pat@example.org").organization == initech


def test_the_email_domain_wins_over_a_picked_organization(client, acme, initech):
    sign_up(client, "sam@acme.example", organization=initech.pk)
    assert User.objects.get(email="sam@acme.example").organization == acme


def test_a_closed_organization_cannot_be_picked_or_joined_by_domain(client, acme, globex, initech):
    response = sign_up(client, "gus@globex.example", organization=globex.pk)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(email="gus@globex.example").exists()


def test_an_unknown_domain_is_refused_politely_without_naming_any_organization(client, acme, globex):
    response = sign_up(client, "gus@globex.example")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Accounts for addresses at globex.example cannot be created here." in html
    assert "Globex" not in html and "Acme" not in html
    assert not User.objects.filter(email="gus@globex.example").exists()
    assert not OutboundMessage.objects.exists()


def test_with_open_organizations_an_unknown_domain_must_pick_one(client, initech):
    html = sign_up(client, "pat@example.org").content.decode()
    assert "Choose your organization: addresses at example.org do not join one by themselves." in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(email="pat@example.org").exists()


def test_sign_up_is_closed_when_no_organization_allows_it(client, globex):
    html = client.get(SIGNUP).content.decode()
    assert "Accounts are not created here." in html and '<form method="post" action="/accounts/signup/"' not in html
    sign_up(client, "gus@globex.example")
    assert not User.objects.filter(email="gus@globex.example").exists()


def test_bad_input_keeps_the_form_with_messages_tied_to_the_fields(client, acme):
    response = client.post(SIGNUP, {"name": "  ", "email": "not-an-address", "password": "12345678"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below. No account has been created yet." in html
    assert "Tell us your name." in html and "Enter a valid email address." in html
    assert "This password is entirely numeric." in html and "This password is too common." in html
    for field in ("name", "email", "password"):
        assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_{field}"', html)
        assert f'id="id_{field}_error"' in html
    assert re.search(r'aria-describedby="id_password_helptext id_password_error"', html)
    assert 'value="not-an-address"' in html and "12345678" not in html
    assert not User.objects.exclude(is_superuser=True).exists()


def test_a_password_like_the_address_is_refused(client, acme):
    html = sign_up(client, "nora.newman@acme.example", password="nora.newman").content.decode()
    assert "too similar" in html
    assert not User.objects.exists()


def test_a_registered_address_gets_the_same_answer_and_at_most_one_reminder_a_day(client, acme):
    alice = CustomerFactory(username="alice", email="alice@acme.example", organization=acme)
    new = sign_up(client, "someone-new@acme.example")
    again = sign_up(client, "ALICE@acme.example", name="Mallory")
    assert again.status_code == new.status_code == 302 and again["Location"] == new["Location"]
    assert User.objects.filter(email__iexact="alice@acme.example").count() == 1
    sign_up(client, "alice@acme.example", name="Mallory again")
    reminders = OutboundMessage.objects.filter(recipient_user_id=alice.pk)
    assert reminders.count() == 1
    reminder = reminders.get()
    assert reminder.subject == "You already have an account"
    assert link_in(reminder, RESET) and link_in(reminder, LOGIN)
    alice.refresh_from_db()
    assert alice.check_password("demo") and alice.first_name != "Mallory"


def test_signing_up_again_before_confirming_sends_a_new_link_at_most_hourly(client, acme):
    sign_up(client, "nora@acme.example")
    sign_up(client, "nora@acme.example")
    assert activation_rows().count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        sign_up(client, "nora@acme.example")
    assert activation_rows().count() == 2
    assert User.objects.filter(email="nora@acme.example").count() == 1


# --- confirming the address -------------------------------------------------------------------


def test_the_confirmation_link_activates_the_account_once(client, acme):
    sign_up(client, "nora@acme.example")
    link = link_in(activation_rows().get(), "/accounts/activate/")
    assert not client.login(username="nora@acme.example", password=GOOD_PASSWORD)

    page = client.get(link)
    assert page.status_code == 200 and "Confirm and activate my account" in page.content.decode()
    assert not User.objects.get(email="nora@acme.example").is_active  # a GET changes nothing

    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "Your email address is confirmed." in response.content.decode()
    user = User.objects.get(email="nora@acme.example")
    assert user.is_active and not user.pending_activation

    again = client.post(link)
    assert again.status_code == 200 and "This link has been used." in again.content.decode()
    assert client.get(link).status_code == 200

    response = client.post(LOGIN, {"username": "Nora@Acme.example", "password": GOOD_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:ticket-list")


def test_an_expired_confirmation_link_is_refused(client, acme):
    sign_up(client, "nora@acme.example")
    link = link_in(activation_rows().get(), "/accounts/activate/")
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        response = client.post(link)
    assert response.status_code == 400 and "This link has expired" in response.content.decode()
    assert not User.objects.get(email="nora@acme.example").is_active


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t])
def test_a_tampered_confirmation_link_is_refused(client, acme, tamper):
    sign_up(client, "nora@acme.example")
    token = link_in(activation_rows().get(), "/accounts/activate/").split("/")[3]
    response = client.post(reverse("account-activate", args=[tamper(token)]))
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert not User.objects.get(email="nora@acme.example").is_active


def test_a_confirmation_link_cannot_switch_on_an_account_an_admin_switched_off(acme):
    user = CustomerFactory(organization=acme, is_active=False)
    with pytest.raises(accounts.ActivationError) as refused:
        accounts.activate_account(None, accounts.activation_token(user))
    assert refused.value.reason == "used"
    user.refresh_from_db()
    assert not user.is_active


def test_an_inactive_account_cannot_sign_in(client, acme):
    sign_up(client, "nora@acme.example")
    response = client.post(LOGIN, {"username": "nora@acme.example", "password": GOOD_PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200 and "Just signed up? Open the link in the email" in html
    assert "_auth_user_id" not in client.session


def test_signing_in_with_an_address_needs_exactly_one_account(acme):
    CustomerFactory(username="alice", email="alice@acme.example", organization=acme)
    assert authenticate(username="ALICE@acme.example", password="demo").username == "alice"
    assert authenticate(username="alice@acme.example", password="wrong") is None
    CustomerFactory(username="alice2", email="alice@acme.example", organization=acme)
    assert authenticate(username="alice@acme.example", password="demo") is None


# --- rate limits --------------------------------------------------------------------------------


def test_sign_up_is_rate_limited_per_client_address(client, acme, settings):
    settings.FIRSTLINE_RATE_LIMITS = {**settings.FIRSTLINE_RATE_LIMITS, "signup": (2, 3600)}
    assert sign_up(client, "one@acme.example").status_code == 302
    assert sign_up(client, "two@acme.example").status_code == 302
    refused = sign_up(client, "three@acme.example")
    assert refused.status_code == 429
    assert "Too many sign-up attempts from your network." in refused.content.decode()
    assert not User.objects.filter(email="three@acme.example").exists()
    assert sign_up(client, "four@acme.example", REMOTE_ADDR="10.1.2.3").status_code == 302
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert sign_up(client, "five@acme.example").status_code == 302


def test_the_rate_limit_reads_the_proxys_client_header_when_configured(client, acme, settings):
    settings.FIRSTLINE_RATE_LIMITS = {**settings.FIRSTLINE_RATE_LIMITS, "signup": (1, 3600)}
    settings.FIRSTLINE_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert sign_up(client, "one@acme.example", HTTP_X_FORWARDED_FOR="1.1.1.1, 10.0.0.1").status_code == 302
    assert sign_up(client, "two@acme.example", HTTP_X_FORWARDED_FOR="9.9.9.9, 10.0.0.1").status_code == 429
    assert sign_up(client, "three@acme.example", HTTP_X_FORWARDED_FOR="10.0.0.2").status_code == 302


def test_password_reset_is_rate_limited(client, settings):
    settings.FIRSTLINE_RATE_LIMITS = {**settings.FIRSTLINE_RATE_LIMITS, "password-reset": (1, 3600)}
    assert client.post(RESET, {"email": "x@example.com"}).status_code == 302
    refused = client.post(RESET, {"email": "x@example.com"})
    assert refused.status_code == 429
    assert "Too many reset requests from your network." in refused.content.decode()


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_queues_one_email_in_the_users_language_and_its_link_works(client, acme):
    ana = CustomerFactory(email="ana@acme.example", organization=acme, language="fr")
    response = client.post(RESET, {"email": "ANA@acme.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    row = OutboundMessage.objects.get()
    assert (row.recipient, row.subject) == ("ana@acme.example", "Choisissez un nouveau mot de passe")
    assert "1 jour" in row.body

    link = link_in(row, "/accounts/password-reset/")
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "amber-lantern-77", "new_password2": "amber-lantern-77"}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert "Your password is changed" in done.content.decode()
    ana.refresh_from_db()
    assert ana.check_password("amber-lantern-77")
    # The link worked once.
    assert "This link does not work any more" in client.get(link, follow=True).content.decode()


def test_each_reset_request_sends_its_own_email_and_a_retry_none(client, acme):
    ana = CustomerFactory(email="ana@acme.example", organization=acme)
    client.post(RESET, {"email": "ana@acme.example"})
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        client.post(RESET, {"email": "ana@acme.example"})
    first, second = OutboundMessage.objects.order_by("pk")
    assert first.idempotency_key != second.idempotency_key
    assert link_in(first, "/accounts/password-reset/") != link_in(second, "/accounts/password-reset/")

    # A retried send of the same token (a task run twice) writes nothing new.
    form = OutboxPasswordResetForm({"email": "ana@acme.example"})
    assert form.is_valid()
    context = {"user": ana, "uid": "MQ", "token": "abc-123"}
    form.send_mail(None, None, context, None, ana.email)
    form.send_mail(None, None, context, None, ana.email)
    assert OutboundMessage.objects.count() == 3


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client):
    response = client.post(RESET, {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert not OutboundMessage.objects.exists()


def test_reset_for_an_unconfirmed_account_sends_the_confirmation_link_again(client, acme):
    sign_up(client, "nora@acme.example")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        client.post(RESET, {"email": "nora@acme.example"})
    assert activation_rows().count() == 2
    assert not OutboundMessage.objects.filter(idempotency_key__contains="password-reset").exists()


def test_reset_pages_are_translated(client):
    html = client.get(RESET, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reset your password" in html and 'id="id_email"' in html
    assert "Check your email" in client.get(reverse("password_reset_done")).content.decode()


# --- templates and configuration ------------------------------------------------------------------


def test_an_admins_edit_of_the_account_template_is_what_is_sent(client, acme):
    install_default_templates()
    MessageTemplate.objects.filter(slug="account-activation").update(
        subject_en="Welcome aboard, {{ customer_name }}", body_en="Click {{ activation_url }} ({{ expires_in }})."
    )
    sign_up(client, "nora@acme.example")
    row = activation_rows().get()
    assert row.subject == "Welcome aboard, Nora Newman"
    assert row.body.startswith("Click http") and row.body.endswith("(2 days).")


def test_a_switched_off_account_template_falls_back_to_the_built_in_text(client, acme):
    install_default_templates()
    MessageTemplate.objects.filter(slug="account-activation").update(is_active=False)
    sign_up(client, "nora@acme.example")
    assert activation_rows().get().subject == "Confirm your email address to finish signing up"


def test_account_templates_use_only_their_vocabulary():
    install_default_templates()
    for template in MessageTemplate.objects.filter(kind="account"):
        template.full_clean()
    assert MessageTemplate.objects.filter(kind="account").count() == 3


@pytest.mark.parametrize(
    ("seconds", "text"), [(172800, "2 days"), (86400, "1 day"), (7200, "2 hours"), (5400, "1 hour"), (90, "1 minute")]
)
def test_duration_text(seconds, text):
    assert accounts.duration_text(seconds) == text


def test_organization_form_cleans_and_checks_email_domains(acme):
    tier = ServiceTierFactory()
    data = {"name": "Umbrella", "tier": tier.pk, "signup_policy": SignupPolicy.DOMAIN}
    form = OrganizationForm({**data, "email_domains": "Umbrella.Example\n@corp.umbrella.example, umbrella.example"})
    assert form.is_valid(), form.errors
    assert form.save().email_domains == ["umbrella.example", "corp.umbrella.example"]

    bad = OrganizationForm({**data, "name": "Bad", "email_domains": "not a domain"})
    assert not bad.is_valid() and "is not an email domain" in str(bad.errors["email_domains"])
    taken = OrganizationForm({**data, "name": "Copycat", "email_domains": "acme.example"})
    assert not taken.is_valid() and "already takes sign-ups from acme.example" in str(taken.errors)
    empty = OrganizationForm({**data, "name": "Empty", "email_domains": ""})
    assert not empty.is_valid() and "List at least one domain" in str(empty.errors)

"""Forms of the account pages: sign-up, and password reset through the outbox."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import accounts
from .models import Organization, User, email_domain


class SignupForm(forms.Form):
    """Name, address and password; the organization comes from the address's domain or is picked.

    Only organizations open to anyone are offered; an organization that signs
    up by domain is never listed, and a closed one is never named.
    """

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        error_messages={"required": _("Give the email address you want to sign in with.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Use your work address: it decides which organization you join."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Choose a password.")},
        help_text=_(
            "At least 8 characters, not only digits, not a common password and not too close to your name or address."
        ),
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Choose your organization"),
        help_text=_("Leave it as it is if your organization lets its staff join by email address."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_organizations = Organization.objects.open_for_signup().only("pk", "name")
        if open_organizations.exists():
            self.fields["organization"].queryset = open_organizations
        else:
            del self.fields["organization"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Tell us your name."), code="blank_name")
        return name

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"].strip())

    def clean(self):
        data = super().clean()
        email = data.get("email")
        if email:
            organization = Organization.objects.for_signup_domain(email_domain(email)) or data.get("organization")
            if organization is not None:
                data["organization"] = organization
            elif "organization" in self.fields:
                self.add_error(
                    "organization",
                    ValidationError(
                        _("Choose your organization: addresses at %(domain)s do not join one by themselves."),
                        code="organization_required",
                        params={"domain": email_domain(email)},
                    ),
                )
            else:
                self.add_error(
                    "email",
                    ValidationError(
                        _(
                            "Accounts for addresses at %(domain)s cannot be created here. Ask the person who "
                            "manages support at your organization, or our team, to create yours."
                        ),
                        code="domain_not_accepted",
                        params={"domain": email_domain(email)},
                    ),
                )
        password = data.get("password")
        if password:
            candidate = User(username=email or "", email=email or "", first_name=data.get("name", ""))
            try:
                password_validation.validate_password(password, user=candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return data


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email rendered from a MessageTemplate and written to the outbox.

    The link always points at the configured site address, never at the Host
    header of the request that asked for it.
    """

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        accounts.send_password_reset(
            context["user"], reset_url=accounts.absolute_url(path), token=f"{context['uid']}/{context['token']}"
        )

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Someone who signed up but lost the confirmation email tries a reset next:
        # send them the confirmation link instead (same page shown either way).
        email = self.cleaned_data["email"]
        for user in User.objects.filter(email__iexact=email, pending_activation=True):
            accounts.send_activation(user)

"""Account pages: sign in, sign up, confirm the address, reset a forgotten password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import accounts, ratelimit
from .forms_accounts import OutboxPasswordResetForm, SignupForm
from .models import Organization

TOO_MANY = 429


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["signup_available"] = Organization.objects.any_signup()
        return context


def _language(request):
    language = translation.get_language_from_request(request)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    """A new customer account, waiting for its address to be confirmed; the same answer for a known address."""
    if request.user.is_authenticated:
        return redirect("home")
    available = Organization.objects.any_signup()
    form = SignupForm(request.POST or None) if available else None
    if request.method == "POST" and available:
        if not ratelimit.allow("signup", request):
            context = {"form": form, "available": available, "rate_limited": True}
            return render(request, "registration/signup_form.html", context, status=TOO_MANY)
        if form.is_valid():
            data = form.cleaned_data
            accounts.sign_up(
                None,
                data["organization"],
                name=data["name"],
                email=data["email"],
                password=data["password"],
                language=_language(request),
            )
            return redirect("signup-done")
    return render(request, "registration/signup_form.html", {"form": form, "available": available})


def signup_done(request):
    return render(request, "registration/signup_done.html")


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request, token):
    """The emailed link shows a button; the POST confirms, so a mail scanner's GET changes nothing."""
    if request.method == "POST":
        try:
            accounts.activate_account(None, token)
        except accounts.ActivationError as error:
            return _activation_refused(request, error.reason)
        messages.success(request, _("Your email address is confirmed. Sign in with it and your password."))
        return redirect("login")
    try:
        accounts.read_activation_token(token)
    except accounts.ActivationError as error:
        return _activation_refused(request, error.reason)
    return render(request, "registration/activate.html", {"token": token})


def _activation_refused(request, reason):
    # A used link is not an error: the account is active and the person just has to sign in.
    status = 200 if reason == "used" else 400
    return render(request, "registration/activate.html", {"refused": reason}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view with the outbox form, limited per client address."""

    form_class = OutboxPasswordResetForm

    def post(self, request, *args, **kwargs):
        if not ratelimit.allow("password-reset", request):
            context = self.get_context_data(form=self.get_form(), rate_limited=True)
            return self.render_to_response(context, status=TOO_MANY)
        return super().post(request, *args, **kwargs)

"""Signing in with a username or an email address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    """Django's backend, plus: an address that belongs to exactly one account signs in as that account.

    Self-service accounts are named after their address, but people type it
    with any capitals; staff and seeded customers have short usernames and may
    use their address too. An address shared by several accounts signs in none.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or not username or "@" not in username or password is None:
            return user
        model = get_user_model()
        matches = list(model._default_manager.filter(email__iexact=username.strip())[:2])
        if len(matches) != 1:
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of each request, with the organization every customer page names in its header."""
        model = get_user_model()
        try:
            user = model._default_manager.select_related("organization").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

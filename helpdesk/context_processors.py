"""Values every page's layout may show."""

from functools import cache

from comms.models import PortalNotification


def portal(request):
    """A customer's unread portal notifications, counted only if the page shows the count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_customer:
        return {}
    return {"portal_unread_count": cache(lambda: PortalNotification.objects.unread_count(user.pk))}

"""The status page's Atom feed: public updates of public incidents, newest first."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .models import IncidentUpdate

ITEMS = 50


class IncidentFeed(Feed):
    feed_type = Atom1Feed
    title = _("Firstline status")
    subtitle = _("Incidents and their updates")

    def link(self):
        return reverse("status:page")

    def items(self):
        return (
            IncidentUpdate.objects.public()
            .filter(incident__is_public=True)
            .select_related("incident")
            .order_by("-created_at", "-pk")[:ITEMS]
        )

    def item_title(self, item):
        return f"{item.incident.ref} · {item.incident.title} · {item.get_status_display()}"

    def item_description(self, item):
        return item.body_html

    def item_link(self, item):
        return f"{reverse('status:page')}#{item.incident.ref}"

    def item_guid(self, item):
        return f"incident-update-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.created_at

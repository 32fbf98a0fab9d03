"""The status page's Atom feed: public updates of public incidents and maintenance windows, newest first."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import IncidentUpdate, MaintenanceWindow

ITEMS = 50
WINDOWS = 20


class IncidentFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Firstline status")
    subtitle = gettext_lazy("Incidents, maintenance and their updates")

    def link(self):
        return reverse("status:page")

    def items(self):
        updates = list(
            IncidentUpdate.objects.public()
            .filter(incident__is_public=True)
            .select_related("incident")
            .order_by("-created_at", "-pk")[:ITEMS]
        )
        # A window is one entry per revision and state, so a reschedule or a cancellation is news again.
        windows = list(MaintenanceWindow.objects.order_by("-updated_at", "-pk")[:WINDOWS])
        return sorted(updates + windows, key=self.item_updateddate, reverse=True)[:ITEMS]

    def item_title(self, item):
        if isinstance(item, MaintenanceWindow):
            return _("Maintenance · %(title)s · %(status)s") % {
                "title": item.title,
                "status": item.get_status_display(),
            }
        return f"{item.incident.ref} · {item.incident.title} · {item.get_status_display()}"

    def item_description(self, item):
        if isinstance(item, MaintenanceWindow):
            when = f"{item.starts_at:%Y-%m-%d %H:%M} – {item.ends_at:%Y-%m-%d %H:%M} UTC"
            return (
                f"<p>{escape(when)}</p>{linebreaks(escape(item.expected_impact))}{linebreaks(escape(item.description))}"
            )
        return item.body_html

    def item_link(self, item):
        if isinstance(item, MaintenanceWindow):
            return f"{reverse('status:page')}#maintenance-{item.pk}"
        return f"{reverse('status:page')}#{item.incident.ref}"

    def item_guid(self, item):
        if isinstance(item, MaintenanceWindow):
            return f"maintenance-{item.pk}-r{item.revision}-{item.status}"
        return f"incident-update-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.updated_at if isinstance(item, MaintenanceWindow) else item.created_at

    def item_updateddate(self, item):
        return item.updated_at if isinstance(item, MaintenanceWindow) else item.created_at

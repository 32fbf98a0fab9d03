"""What feedback does when the helpdesk announces a change (helpdesk.signals, sent on commit)."""

from django.dispatch import receiver

from helpdesk.signals import page_panels, ticket_reopened, ticket_resolved

from . import panels, services


@receiver(ticket_resolved, dispatch_uid="feedback.invite_after_resolution")
def on_ticket_resolved(sender, ticket_ids, at=None, **kwargs):
    services.invite_after_resolution(ticket_ids, now=at)
    services.queue_reviews_after_resolution(ticket_ids, now=at)


@receiver(ticket_reopened, dispatch_uid="feedback.withdraw_after_reopening")
def on_ticket_reopened(sender, ticket_ids, at=None, **kwargs):
    services.withdraw_after_reopening(ticket_ids, now=at)


@receiver(page_panels, dispatch_uid="feedback.page_panels")
def on_page_panels(sender, place, request, **objects):
    return panels.render_panel(place, request, **objects)

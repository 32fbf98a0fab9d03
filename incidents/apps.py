from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from helpdesk.signals import ticket_created

        from . import receivers

        ticket_created.connect(receivers.offer_new_ticket, dispatch_uid="incidents-offer-new-ticket")

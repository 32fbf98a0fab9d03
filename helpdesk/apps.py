from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Helpdesk")

    def ready(self):
        from comms.signals import delivery_failed, inbound_email_received

        from . import receivers
        from .inbound import route_inbound_email

        inbound_email_received.connect(route_inbound_email, dispatch_uid="helpdesk.inbound")

        delivery_failed.connect(receivers.record_delivery_failure, dispatch_uid="helpdesk-delivery-failed")

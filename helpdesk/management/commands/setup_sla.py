"""Install the default service levels (tiers, calendar, policy, escalation rules) where missing."""

from django.core.management.base import BaseCommand

from helpdesk.sla_defaults import install_defaults


class Command(BaseCommand):
    help = "Create the default SLA policy, calendars and escalation rules if they do not exist. Idempotent."

    def handle(self, *args, **options):
        policy = install_defaults()
        self.stdout.write(f"default SLA policy: {policy.name}")

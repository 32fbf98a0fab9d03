"""Create the role groups with their permissions. Idempotent."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from helpdesk.models import Role

AGENT = [
    "helpdesk.view_ticket",
    "helpdesk.change_ticket",
    "helpdesk.add_message",
    "helpdesk.view_message",
    "helpdesk.view_organization",
    "helpdesk.view_user",
    "helpdesk.view_attachment",
    # Knowledge base: agents read internal articles and write drafts for review.
    "knowledge.view_internal_article",
    "knowledge.view_article",
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.view_articleversion",
    "knowledge.view_category",
]
TEAM_LEAD = AGENT + ["helpdesk.view_ticketevent", "helpdesk.view_queue", "helpdesk.view_team"]
MANAGER = TEAM_LEAD + [
    "helpdesk.add_servicetier",
    "helpdesk.change_servicetier",
    "helpdesk.view_servicetier",
    "helpdesk.add_organization",
    "helpdesk.change_organization",
    "helpdesk.add_queue",
    "helpdesk.change_queue",
    "helpdesk.add_team",
    "helpdesk.change_team",
    "helpdesk.add_category",
    "helpdesk.change_category",
    "helpdesk.view_category",
    "comms.view_outboundmessage",
    "comms.change_outboundmessage",
    "comms.view_deliveryattempt",
    # Received emails, to look at held and failed ones and process them again.
    "comms.view_inboundemail",
    "comms.change_inboundemail",
    # Knowledge base: managers approve, publish and archive, and read the analytics.
    "knowledge.publish_article",
    "knowledge.add_category",
    "knowledge.change_category",
    "knowledge.view_articlefeedback",
    "knowledge.view_searchlog",
    "knowledge.view_deflection",
]
# Administrators are superusers; their group carries no extra permission.
ROLE_PERMISSIONS = {
    Role.CUSTOMER: [],
    Role.AGENT: AGENT,
    Role.TEAM_LEAD: TEAM_LEAD,
    Role.MANAGER: MANAGER,
    Role.ADMIN: [],
}


def permissions_named(names):
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = Permission.objects.filter(
        content_type__app_label__in={app for app, _code in wanted},
        codename__in={code for _app, code in wanted},
    ).select_related("content_type")
    return [p for p in found if (p.content_type.app_label, p.codename) in wanted]


class Command(BaseCommand):
    help = "Create or update the role groups (customer, agent, team lead, manager, admin)."

    def handle(self, *args, **options):
        for role, names in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=role)
            group.permissions.set(permissions_named(names))
            self.stdout.write(f"role {role}: {group.permissions.count()} permissions")

"""Demo data for incidents: components, one resolved past incident and one open P2 affecting Acme. Idempotent."""

from datetime import timedelta

from django.utils import timezone

from helpdesk.models import Organization, User

from . import services
from .defaults import install_cadence_defaults
from .models import Component, ComponentGroup, ComponentStatus, Incident

COMPONENTS = {
    "Platform": ["Web app", "API", "Sign-in"],
    "Payments": ["Checkout", "Invoices"],
    "Messaging": ["Email delivery", "SMS delivery"],
}
PAST_TITLE = "Invoices were generated late"
OPEN_TITLE = "Checkout is slow for some customers"


def seed_incidents():
    install_cadence_defaults()
    for order, (group_name, names) in enumerate(COMPONENTS.items()):
        group, _made = ComponentGroup.objects.get_or_create(name=group_name, defaults={"ordering": order})
        for position, name in enumerate(names):
            Component.objects.get_or_create(name=name, defaults={"group": group, "ordering": position})
    manager = User.objects.get(username="manager")
    agent = User.objects.get(username="agent1")
    acme = Organization.objects.get(name="Acme")
    now = timezone.now()
    if not Incident.objects.filter(title=PAST_TITLE).exists():
        start = now - timedelta(days=6, hours=3)
        past = services.declare_incident(
            manager,
            title=PAST_TITLE,
            severity=3,
            commander=manager,
            communications_lead=agent,
            all_organizations=True,
            components={Component.objects.get(name="Invoices"): ComponentStatus.DEGRADED},
            message="Monthly invoices are arriving later than usual. Nothing is lost; we are catching up.",
            now=start,
        )
        services.resolve_incident(
            manager,
            past,
            body="Every invoice has been sent. A stuck queue worker was replaced.",
            now=start + timedelta(hours=2),
        )
    if not Incident.objects.filter(title=OPEN_TITLE).exists():
        services.declare_incident(
            manager,
            title=OPEN_TITLE,
            severity=2,
            commander=manager,
            communications_lead=agent,
            organizations=[acme],
            components={Component.objects.get(name="Checkout"): ComponentStatus.DEGRADED},
            users_affected="multiple",
            business_impact="feature",
            message="Some payments take up to a minute to confirm. We are investigating.",
        )
    seed_scheduled_notices(manager, now)


MAINTENANCE_TITLE = "Reporting database upgrade"
ROUTINE_NAME = "Weekly update to every customer"


def seed_scheduled_notices(manager, now):
    """An upcoming maintenance window on Invoices and a weekly routine update (both once)."""
    from datetime import time

    from comms.models import MessageTemplate

    from . import maintenance, routines
    from .models import MaintenanceWindow, RoutineNotice

    if not MaintenanceWindow.objects.filter(title=MAINTENANCE_TITLE).exists():
        start = (now + timedelta(days=5)).replace(hour=2, minute=0, second=0, microsecond=0)
        maintenance.schedule_maintenance(
            manager,
            title=MAINTENANCE_TITLE,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            components=[Component.objects.get(name="Invoices")],
            expected_impact="Invoice downloads may pause for a few minutes",
            description="We move the reporting database to faster storage.",
        )
    template = MessageTemplate.objects.filter(slug="routine-weekly-update").first()
    if template is not None and not RoutineNotice.objects.filter(name=ROUTINE_NAME).exists():
        routine = RoutineNotice.objects.create(
            name=ROUTINE_NAME,
            template=template,
            frequency="weekly",
            weekday=0,
            send_time=time(9, 0),
            time_zone="Europe/Madrid",
            message="This week: faster exports and a new status page feed.",
        )
        routines.schedule_routine(routine, now=now)

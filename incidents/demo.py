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

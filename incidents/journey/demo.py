"""Demo journey signals: seed 003's ten signal types (in our own words), the built-in rules, one integration.

Idempotent: types are created once by code and then belong to the admin;
the demo integration's token is reset to the printed demo value each run.
"""

from comms.models import MessageTemplate
from helpdesk.models import Queue, Team

from ..models import Component
from .defaults import install_outreach_defaults
from .models import Detection, Integration, SignalSeverity, SignalType
from .services import create_integration, rotate_token

DEMO_TOKEN = "fls_demo-journey-platform-token-for-local-use-only"  # noqa: S105 - demo data, printed on purpose
DEMO_INTEGRATION = "Journey platform (demo)"

# code: (name, severity, detection, parameters, queue, description, own helpful template or "")
SIGNALS = {
    "SIG-001": (
        "eSIM waiting to be installed",
        SignalSeverity.HIGH,
        Detection.API,
        {},
        "eSIM specialists",
        "Paid more than two days ago; the eSIM profile is ready but has not been installed.",
        "demo-esim-pending",
    ),
    "SIG-002": (
        "eSIM activation failed",
        SignalSeverity.CRITICAL,
        Detection.API,
        {},
        "eSIM specialists",
        "The provisioning system reported an error for the customer's eSIM: they have paid and have no service.",
        "demo-esim-failed",
    ),
    "SIG-003": (
        "Payment did not go through",
        SignalSeverity.MEDIUM,
        Detection.API,
        {},
        "Billing",
        "An order exists but its payment has not completed two hours after it was placed.",
        "",
    ),
    "SIG-004": (
        "Number transfer refused",
        SignalSeverity.HIGH,
        Detection.API,
        {},
        "Number transfers",
        "The previous carrier refused the port-in (account number, PIN or name mismatch, or a port-out block).",
        "",
    ),
    "SIG-005": (
        "Number transfer stalled",
        SignalSeverity.MEDIUM,
        Detection.API,
        {},
        "Number transfers",
        "The port-in request has been submitted for more than three days without an answer.",
        "",
    ),
    "SIG-006": (
        "Order stuck",
        SignalSeverity.MEDIUM,
        Detection.API,
        {},
        "",
        "The order has not completed a day after it was created.",
        "",
    ),
    "SIG-007": (
        "Chatbot hand-off not picked up",
        SignalSeverity.HIGH,
        Detection.API,
        {},
        "",
        "The bot handed the conversation to a person and no ticket followed within two hours.",
        "",
    ),
    "SIG-008": (
        "Repeat contact",
        SignalSeverity.HIGH,
        Detection.REPEAT_CONTACT,
        {"count": 3, "days": 7},
        "",
        "The customer has been in touch three or more times in a week.",
        "",
    ),
    "SIG-009": (
        "Quiet new customer",
        SignalSeverity.MEDIUM,
        Detection.API,
        {},
        "",
        "Paid a week ago, never installed the eSIM and has not talked to us since: at risk of leaving.",
        "",
    ),
    "SIG-010": (
        "Network outage in the customer's area",
        SignalSeverity.HIGH,
        Detection.API,
        {},
        "",
        "An outage covers the customer's area and they have an open ticket or a recent chat.",
        "",
    ),
    "FL-WAIT": (
        "Waiting on us too long",
        SignalSeverity.HIGH,
        Detection.WAITING_ON_US,
        {"hours": 8},
        "",
        "The customer's latest message has had no answer for too long.",
        "",
    ),
    "FL-ESC": (
        "Escalation not picked up",
        SignalSeverity.HIGH,
        Detection.UNACKNOWLEDGED_ESCALATION,
        {"hours": 2},
        "",
        "A ticket was escalated and the receiving level has not acknowledged it in time.",
        "",
    ),
    "FL-QUIET": (
        "Customer has gone quiet",
        SignalSeverity.LOW,
        Detection.SILENT_CUSTOMER,
        {"days": 5},
        "",
        "We asked the customer a question days ago and have heard nothing back.",
        "",
    ),
}

# Types that are one problem to the customer share a root cause: they hear about it once in 24 hours.
ROOT_CAUSES = {"SIG-001": "esim", "SIG-002": "esim", "SIG-004": "port-in", "SIG-005": "port-in"}
# Status page components (incidents.demo) whose incidents are the type's problem: a notice about one counts.
COMPONENTS = {"SIG-003": ["Checkout"]}

TEMPLATES = {
    "demo-esim-pending": (
        "Your eSIM is ready when you are",
        "Hello {{ customer_name }},\n\nYour payment went through, but your eSIM is still waiting to be installed. "
        "It takes two minutes: open your phone's settings, add a mobile plan, and scan the QR code from your "
        "confirmation email. Cannot find the code? Reply here and we will send it again.\n\n({{ ticket_ref }})\n",
    ),
    "demo-esim-failed": (
        "We are fixing your eSIM activation",
        "Hello {{ customer_name }},\n\nYour payment is fine, but activating your eSIM failed on our side — nothing "
        "you did. We are preparing a new eSIM profile now and will send a fresh QR code to this address shortly. "
        "We will check back to make sure it works.\n\n{{ signal_lines }}\n\nFollow it here: {{ ticket_url }}\n",
    ),
}


def seed_signals(stdout=None):
    install_outreach_defaults()
    team, _made = Team.objects.get_or_create(name="Frontline")
    for slug, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            slug=slug,
            defaults={"kind": "journey_signal", "name": f"Demo: {subject}", "subject": subject, "body": body},
        )
    for code, (name, severity, detection, parameters, queue_name, description, template) in SIGNALS.items():
        queue = Queue.objects.get_or_create(name=queue_name, defaults={"team": team})[0] if queue_name else None
        signal_type, made = SignalType.objects.get_or_create(
            code=code,
            defaults={
                "root_cause": ROOT_CAUSES.get(code, ""),
                "name": name,
                "severity": severity,
                "detection": detection,
                "parameters": parameters,
                "queue": queue,
                "description": description,
                "template_helpful": template,
                "alert_engineering": severity == SignalSeverity.CRITICAL,
                "internal_response_minutes": {"critical": 30, "high": 120, "medium": 480}.get(severity),
                "outreach_minutes": {"critical": 0, "high": 240, "medium": 1440}.get(severity),
            },
        )
        if made and code in COMPONENTS:
            signal_type.components.set(Component.objects.filter(name__in=COMPONENTS[code]))
    integration = Integration.objects.filter(name=DEMO_INTEGRATION).first()
    api_codes = [code for code, row in SIGNALS.items() if row[2] == Detection.API]
    if integration is None:
        create_integration(None, name=DEMO_INTEGRATION, signal_codes=api_codes, token=DEMO_TOKEN)
    else:
        rotate_token(None, integration, token=DEMO_TOKEN)
    if stdout is not None:
        stdout.write(f"Journey signals: {len(SIGNALS)} signal types; POST /api/signals/ with the token {DEMO_TOKEN}")

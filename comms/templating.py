"""Message templates' placeholders: a documented vocabulary per kind, and a renderer for plain data.

An admin writes `{{ customer_name }}` and nothing else: no attributes, no
filters, no tags. Rendering is a substitution of plain strings, never a
template engine, so nothing an admin types can reach code or the database.
"""

import re

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Whatever still looks like template syntax once the placeholders are taken out.
STRAY_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")

# name -> (what it is, a sample value for previews)
COMMON = {
    "customer_name": (_("The customer's name"), "Ana García"),
    "organization": (_("The customer's organization"), "Acme"),
    "site_url": (_("The address of the helpdesk"), "https://help.example.com"),
}
TICKET = {
    "ticket_ref": (_("The ticket's reference"), "FL-1042"),
    "ticket_subject": (_("The ticket's subject"), "Cannot export invoices"),
    "ticket_url": (_("The ticket's page on the portal"), "https://help.example.com/portal/tickets/FL-1042/"),
    "agent_name": (_("The agent's name"), "Arun Frontline"),
    "priority": (_("The ticket's priority"), "High"),
    "status": (_("The ticket's status"), "Waiting on customer"),
}
INCIDENT = {
    "incident_id": (_("The incident's reference"), "INC-0042"),
    "incident_title": (_("The incident's title"), "Payments delayed"),
    "severity": (_("The incident's severity"), "P1"),
    "affected_systems": (_("The systems affected"), "Checkout, invoices"),
    "next_update_time": (_("When the next update is due"), "14:30 UTC"),
    "status_page_url": (_("The public status page"), "https://help.example.com/status/"),
}
MAINTENANCE = {
    "maintenance_title": (_("The maintenance window's title"), "Database upgrade"),
    "window_start": (_("When the window starts"), "Saturday 02:00 UTC"),
    "window_end": (_("When the window ends"), "Saturday 04:00 UTC"),
    "affected_systems": (_("The systems affected"), "Reporting"),
}
ESCALATION = {
    "from_level": (_("The level the ticket came from"), "L1 · Frontline"),
    "to_level": (_("The level it went to"), "L2 · Technical"),
    "reason": (_("Why it was escalated"), "Export fails for every user"),
}
MESSAGE = {
    "message_body": (_("The whole text of the message"), "Could you send us a screenshot of the error?"),
    "message_excerpt": (_("The message's first few lines"), "Could you send us a screenshot…"),
    "author_name": (_("Who wrote the message"), "Arun Frontline"),
}
# Notices to staff: addressed to one agent, linking to the agent's view of the ticket.
STAFF = {
    "recipient_name": (_("The name of the person receiving the message"), "Beatriz Technical"),
    "ticket_agent_url": (
        _("The ticket's page in the agent workspace"),
        "https://help.example.com/agent/tickets/FL-1042/",
    ),
}
HANDOFF = {
    "handoff_kind": (_("How the ticket was escalated"), "Manual"),
    "handed_by": (_("Who escalated it (empty when automatic)"), "Arun Frontline"),
    "acknowledge_by": (_("When the receiving level must acknowledge it"), "2026-11-24 17:00 UTC"),
    "summary": (_("The handoff summary"), "Exports hang for all of Acme"),
    "impact": (_("The customer impact"), "Acme cannot send invoices"),
    "steps_tried": (_("The steps already tried"), "Cleared the cache; tried another browser"),
    "next_step": (_("The proposed next step"), "Check the export worker's queue"),
    "tier": (_("The customer's service tier"), "Enterprise"),
}
DIGEST = {
    "recipient_name": STAFF["recipient_name"],
    "ticket_count": (_("How many tickets the message lists"), "3"),
    "ticket_lines": (
        _("The tickets, one or two lines each"),
        "FL-1042 · First response due 2026-11-23 13:00 UTC · Cannot export invoices\n"
        "  https://help.example.com/agent/tickets/FL-1042/",
    ),
    "breaching_url": (_("The agent queue of tickets breaching soon"), "https://help.example.com/agent/?view=breaching"),
    "site_url": COMMON["site_url"],
}
REMINDER = {
    "due_time": (_("When the reminder was due"), "2026-11-25 09:00 UTC"),
    "set_at": (_("When the reminder was set"), "2026-11-23 09:00 UTC"),
    "reminder_note": (_("Why the reminder was set"), "Ask for details"),
}
SURVEY = {
    "survey_url": (_("The survey link"), "https://help.example.com/feedback/abc123/"),
    "expires_on": (_("When the link expires"), "2 December 2026"),
    "answer_links": (
        _("One link per answer, one per line: a click opens the survey with that answer chosen"),
        "5 · Very satisfied: https://help.example.com/feedback/s/abc123/?score=5&sig=…",
    ),
    "opt_out_url": (_("The link to stop receiving surveys"), "https://help.example.com/feedback/s/abc123/opt-out/"),
}


class TemplateKind:
    """Kinds of message and the placeholders each may use (labels are for admin choices)."""

    CHOICES = [
        ("ticket_ack", _("Ticket acknowledgement")),
        ("reply", _("Reply to a customer")),
        ("status_update", _("Status update")),
        ("resolution", _("Resolution")),
        ("escalation_notice", _("Escalation notice")),
        ("incident_alert", _("Incident alert")),
        ("incident_update", _("Incident update")),
        ("maintenance_notice", _("Maintenance notice")),
        ("executive_summary", _("Executive summary")),
        ("survey_invitation", _("Survey invitation")),
        ("internal_alert", _("Internal alert")),
        ("reply_notice", _("Agent reply, emailed to the customer")),
        ("customer_reply_notice", _("Customer reply, emailed to the assignee")),
        ("escalation_summary", _("Escalation summary for managers")),
        ("escalation_request", _("Customer asks for escalation")),
        ("sla_digest", _("SLA warnings or breaches (digest)")),
        ("escalation_digest", _("Time-based escalations (digest)")),
        ("reminder", _("Ticket reminder for an agent")),
    ]
    VOCABULARY = {
        "ticket_ack": {**COMMON, **TICKET},
        "reply": {**COMMON, **TICKET},
        "status_update": {**COMMON, **TICKET},
        "resolution": {**COMMON, **TICKET},
        "escalation_notice": {**COMMON, **TICKET, **ESCALATION, **HANDOFF, **STAFF},
        "incident_alert": {**COMMON, **INCIDENT},
        "incident_update": {**COMMON, **INCIDENT},
        "maintenance_notice": {**COMMON, **MAINTENANCE},
        "executive_summary": {**COMMON, **INCIDENT},
        "survey_invitation": {**COMMON, **TICKET, **SURVEY},
        "internal_alert": {**TICKET, **INCIDENT, "site_url": COMMON["site_url"]},
        "reply_notice": {**COMMON, **TICKET, **MESSAGE},
        "customer_reply_notice": {**COMMON, **TICKET, **MESSAGE, **STAFF},
        "escalation_summary": {**COMMON, **TICKET, **ESCALATION, **HANDOFF, **STAFF},
        "escalation_request": {
            **COMMON,
            **TICKET,
            **STAFF,
            "reason": (_("The customer's reason"), "We are losing sales"),
        },
        "sla_digest": DIGEST,
        "escalation_digest": DIGEST,
        "reminder": {**COMMON, **TICKET, **STAFF, **REMINDER},
    }


def vocabulary(kind):
    return TemplateKind.VOCABULARY.get(kind, {})


def problems(kind, text):
    """What is wrong with `text` for `kind`: unknown placeholders and stray template syntax, as messages."""
    if not text:
        return []
    allowed = vocabulary(kind)
    found = []
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in allowed})
    for name in unknown:
        found.append(_("“{{ %(name)s }}” is not a placeholder of this kind of message.") % {"name": name})
    if STRAY_SYNTAX.search(PLACEHOLDER.sub("", text)):
        found.append(_("Only plain placeholders such as {{ customer_name }} are allowed: no dots, filters or tags."))
    return found


def render(text, values):
    """`text` with each placeholder replaced by its value as plain text (missing ones by nothing)."""
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), "")), text or "")


def render_subject(text, values):
    """A subject on one line: line breaks in the values can never start a new mail header."""
    return " ".join(render(text, values).split())[:255]


def samples(kind):
    return {name: str(sample) for name, (_description, sample) in vocabulary(kind).items()}


# --- account emails (sign-up, activation, password reset) --------------------------
# Kept as one block at the end so that other kinds can be added above it.

ACCOUNT = {
    "customer_name": COMMON["customer_name"],
    "organization": COMMON["organization"],
    "site_url": COMMON["site_url"],
    "activation_url": (
        _("The link that confirms the email address and activates the account"),
        "https://help.example.com/accounts/activate/abc123/",
    ),
    "reset_url": (
        _("The link to choose a new password (in a reset email), or to ask for one"),
        "https://help.example.com/accounts/password-reset/",
    ),
    "login_url": (_("The sign-in page"), "https://help.example.com/accounts/login/"),
    "expires_in": (_("How long the link in the email works"), "2 days"),
}
TemplateKind.CHOICES.append(("account", _("Account email (sign-up, activation, password reset)")))
TemplateKind.VOCABULARY["account"] = ACCOUNT


def kind_choices():
    """MessageTemplate.kind's choices, read when used: a new kind needs no migration."""
    return TemplateKind.CHOICES


# --- incidents: what an incident notice, summary and internal alert may also say -----------------
# Added by the incidents issue; kept as one block so it reads (and merges) on its own.
INCIDENT_NOTICE = {
    "update_text": (_("The text of this update"), "We have found the cause and are rolling out a fix."),
    "incident_status": (_("The incident's status"), "Identified"),
    "incident_url": (_("The incident on the status page"), "https://help.example.com/status/#INC-0042"),
}
INCIDENT_EXECUTIVE = {
    "crisis_level": (_("The crisis level"), "Level 3 · core services"),
    "impact": (_("The impact assessment"), "All users · revenue affected · no security impact"),
    "affected_organizations": (_("The organizations affected"), "Acme, Globex"),
    "duration": (_("Time since the incident was declared"), "1 h 20 min"),
    "commander": (_("The incident commander"), "Maya Manager"),
}
INCIDENT_DEADLINE = {
    "deadline": (_("The deadline concerned"), "Next update"),
    "due_time": (_("When it is or was due"), "14:30 UTC"),
}
# What the status page's email subscribers are sent (confirmation and updates use the incident_update kind).
STATUS_SUBSCRIPTION = {
    "confirm_url": (_("The link that confirms a status page subscription"), "https://help.example.com/status/…"),
    "confirm_by": (_("Until when that link works"), "2 December 2026 14:30 UTC"),
    "subscribed_components": (_("What the subscriber follows"), "API, Checkout"),
    "unsubscribe_url": (_("The one-click unsubscribe link"), "https://help.example.com/status/…"),
}
for _kind in ("incident_alert", "incident_update"):
    TemplateKind.VOCABULARY[_kind] = {**TemplateKind.VOCABULARY[_kind], **INCIDENT_NOTICE}
TemplateKind.VOCABULARY["incident_update"] = {**TemplateKind.VOCABULARY["incident_update"], **STATUS_SUBSCRIPTION}
TemplateKind.VOCABULARY["executive_summary"] = {
    **TemplateKind.VOCABULARY["executive_summary"],
    **INCIDENT_NOTICE,
    **INCIDENT_EXECUTIVE,
}
TemplateKind.VOCABULARY["internal_alert"] = {
    **TemplateKind.VOCABULARY["internal_alert"],
    **INCIDENT_DEADLINE,
    "incident_url": INCIDENT_NOTICE["incident_url"],
}


# --- maintenance windows and routine notices -------------------------------------------------------
# Added by the incidents issue's scheduled notices; one block so it merges on its own.
MAINTENANCE_NOTICE = {
    "maintenance_description": (_("What the work is"), "We move the reporting database to faster disks."),
    "expected_impact": (_("What customers may notice"), "Reports load slowly for up to ten minutes"),
    "previous_start": (_("When the window was to start before it was moved"), "Friday 02:00 UTC"),
    "status_page_url": INCIDENT["status_page_url"],
    "recipient_note": (
        _("Why this person receives the message (and, for subscribers, how to stop)"),
        "You receive this as a contact of Acme.",
    ),
}
TemplateKind.VOCABULARY["maintenance_notice"] = {**TemplateKind.VOCABULARY["maintenance_notice"], **MAINTENANCE_NOTICE}
ROUTINE = {
    "routine_name": (_("The routine notice's name"), "Weekly update"),
    "routine_message": (_("The text the admin wrote for this routine notice"), "Exports are now twice as fast."),
    "period_label": (_("The period this notice covers"), "2 March 2026"),
    "incident_count": (_("Public incidents declared in the previous period"), "1"),
    "maintenance_count": (_("Maintenance windows coming in the next 30 days"), "2"),
    "status_page_url": INCIDENT["status_page_url"],
}
TemplateKind.CHOICES.append(("routine_notice", _("Routine notice (weekly update, monthly report)")))
TemplateKind.VOCABULARY["routine_notice"] = {**COMMON, **ROUTINE}


# --- proactive journey signals (issue 7): the customer's message and the internal alerts -------------
# Added as one block; the incidents app renders these (incidents/journey).
JOURNEY = {
    "signal_name": (_("What we noticed (the signal's name)"), "eSIM activation failed"),
    "signal_lines": (
        _("Every issue this message addresses, one per line"),
        "- eSIM activation failed (since 24 Nov 09:10 UTC)",
    ),
    "detected_at": (_("When we first noticed it"), "24 Nov 2026 09:10 UTC"),
    "touch_count": (_("How many times the customer has been in touch about it"), "2"),
}
TemplateKind.CHOICES.append(("journey_signal", _("Proactive message about a journey signal")))
TemplateKind.VOCABULARY["journey_signal"] = {**COMMON, **TICKET, **JOURNEY}
JOURNEY_INTERNAL = {
    "signal_code": (_("The signal's code"), "SIG-002"),
    "signal_severity": (_("The signal's severity"), "Critical"),
    "customer_email": (_("The customer's email"), "ana@example.com"),
    "ticket_agent_url": STAFF["ticket_agent_url"],
    "customer_count": (_("How many customers share the signal"), "12"),
    "customer_lines": (_("The customers concerned, one per line"), "ana@example.com · Acme · FL-1042"),
    "shared_factors": (_("What those customers have in common"), "organization: Acme; tier: Enterprise"),
    "alert_reason": (_("Why engineering is alerted"), "Critical signal"),
}
TemplateKind.CHOICES.append(("journey_internal", _("Internal alert about journey signals")))
TemplateKind.VOCABULARY["journey_internal"] = {**COMMON, **TICKET, **JOURNEY, **JOURNEY_INTERNAL}

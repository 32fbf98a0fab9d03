"""Starting figures for journey signals (seed 003's channel matrix), installed once, then admin data."""

from .models import OutreachRule

# (severity, customer has an open ticket): the outreach actions. "reply" answers on their open ticket,
# "note" is an internal note asking the agent to follow up there (no message to the customer).
OUTREACH_DEFAULTS = {
    ("critical", True): ["reply", "sms"],
    ("critical", False): ["email", "sms", "push"],
    ("high", True): ["reply"],
    ("high", False): ["email"],
    ("medium", True): ["note"],
    ("medium", False): ["email"],
    ("low", True): ["portal"],
    ("low", False): ["portal"],
}


def install_outreach_defaults():
    """Create the missing rows of the channel matrix; never overwrites an admin's edit. Returns how many."""
    created = 0
    for (severity, has_open_ticket), actions in OUTREACH_DEFAULTS.items():
        _rule, made = OutreachRule.objects.get_or_create(
            severity=severity,
            has_open_ticket=has_open_ticket,
            defaults=dict.fromkeys(actions, True),
        )
        created += made
    return created

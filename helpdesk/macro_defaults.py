"""A starting set of macros for the demo and for new installations; installed once, then owned by admins."""

from comms.defaults import install_default_templates
from comms.models import MessageTemplate

from .models import Assignment, Macro, Priority, ReminderUnit, Status, Tag

# name: (reply template slug, status, priority, assignment, tags to add, tags to remove, reminder, position)
MACROS = {
    "Ask for details": (
        "need-more-details",
        Status.WAITING,
        None,
        Assignment.ME,
        ["needs-info"],
        [],
        (2, ReminderUnit.DAYS),
        10,
    ),
    "Fixed: ask the customer to confirm": (
        "confirm-fix",
        Status.RESOLVED,
        None,
        Assignment.KEEP,
        [],
        ["needs-info"],
        None,
        20,
    ),
    "Take it, high priority": (None, Status.OPEN, Priority.HIGH, Assignment.ME, ["follow-up"], [], None, 30),
}


def install_default_macros():
    """Create the macros (and the tags and reply templates they use) that do not exist yet; returns how many."""
    install_default_templates()
    created = 0
    for name, (slug, status, priority, assignment, add, remove, remind, position) in MACROS.items():
        if Macro.objects.filter(name=name).exists():
            continue
        macro = Macro.objects.create(
            name=name,
            reply_template=MessageTemplate.objects.filter(slug=slug).first() if slug else None,
            set_status=status or "",
            set_priority=priority,
            assignment=assignment,
            remind_in=remind[0] if remind else None,
            remind_unit=remind[1] if remind else ReminderUnit.DAYS,
            position=position,
        )
        macro.add_tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in add])
        macro.remove_tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in remove])
        created += 1
    return created

"""Starting figures for the cadence (seed 000's incident matrix and crisis levels), installed once, then admin data."""

from .models import CadencePolicy, CrisisPolicy

HOUR = 60
DAY = 24 * HOUR

# severity: (first notice, update every, resolve within, follow-up within), in minutes.
CADENCE = {
    1: (5, 15, DAY, 2 * DAY),
    2: (15, 30, 2 * DAY, 3 * DAY),
    3: (HOUR, 2 * HOUR, 3 * DAY, 7 * DAY),
    4: (4 * HOUR, DAY, 7 * DAY, 14 * DAY),
}

# crisis level: (cadence as % of the severity's intervals, executives get the summary).
# Higher levels answer faster, as seed 000's crisis table asks (< 1 h … < 5 min).
CRISIS = {1: (100, True), 2: (75, True), 3: (50, True), 4: (34, True)}


def install_cadence_defaults():
    """Create missing cadence and crisis policies; never overwrites an admin's edit. Returns how many were created."""
    created = 0
    for severity, (first, update, resolve, follow_up) in CADENCE.items():
        _policy, made = CadencePolicy.objects.get_or_create(
            severity=severity,
            defaults={
                "first_notice_minutes": first,
                "update_minutes": update,
                "resolve_minutes": resolve,
                "follow_up_minutes": follow_up,
            },
        )
        created += made
    for level, (percent, executives) in CRISIS.items():
        _policy, made = CrisisPolicy.objects.get_or_create(
            level=level, defaults={"cadence_percent": percent, "notify_executives": executives}
        )
        created += made
    return created


# Maintenance notices (seed 000's proactive schedule): a reminder a week before and a warning two hours before;
# the start and the completion are announced when the sweep switches the components.
MAINTENANCE_WEEK_BEFORE_HOURS = 7 * 24
MAINTENANCE_SOON_BEFORE_HOURS = 2
# Upcoming windows further ahead than this are not yet listed on the status page and the portal.
MAINTENANCE_SHOWN_DAYS_AHEAD = 30

"""Default service levels, from the support playbooks Firstline was designed from.

Installed once by `setup_sla` (run by `make run` and in production set-up)
and then owned by the admin: nothing here is read at run time, and running
it again never overwrites what an admin changed.

- Tiers' first-response promises: Enterprise 1 h, Premium 2 h, Standard 4 h,
  Essential 8 h.
- Targets by priority: first response critical 15 min, high 2 h, medium 8 h,
  low 24 h (capped by the tier's promise); resolution critical 4 h, high 24 h,
  medium 72 h, low one week. Critical tickets count every hour.
- Business hours Monday to Friday, 09:00–18:00 New York time.
- Time-based escalation L1→L2 after 4 h, L2→L3 after 8 h, L3→L4 after 24 h;
  critical → L3 and high → L2 at once; security → the Security queue.
- After a handoff, the receiving level acknowledges within its response
  target for the priority (L1 15 min / 2 h / 8 h / 24 h, L2 30 min / 4 h /
  12 h / 48 h, L3 1 h / 8 h / 24 h / 72 h, L4 2 h / 12 h / 48 h / 1 week).
- Escalating a ticket that is not critical grants 4 h more for resolution.
"""

from datetime import time

from django.db import transaction

from .models import (
    BusinessCalendar,
    BusinessHours,
    Category,
    EscalationRule,
    EscalationTrigger,
    LevelTarget,
    Priority,
    Queue,
    ServiceTier,
    SlaPolicy,
    SlaTarget,
    Team,
)

HOUR = 60
TIERS = [
    # name, rank, first response minutes, channels, account manager
    ("Enterprise", 10, 1 * HOUR, ["phone", "sms", "email", "portal", "chat"], True),
    ("Premium", 20, 2 * HOUR, ["phone", "email", "portal", "chat"], True),
    ("Standard", 30, 4 * HOUR, ["email", "portal", "phone"], False),
    ("Essential", 40, 8 * HOUR, ["email", "portal"], False),
]
# priority: (first response, next response, resolution, around the clock)
PRIORITY_TARGETS = {
    Priority.CRITICAL: (15, 1 * HOUR, 4 * HOUR, True),
    Priority.HIGH: (2 * HOUR, 4 * HOUR, 24 * HOUR, False),
    Priority.MEDIUM: (8 * HOUR, 24 * HOUR, 72 * HOUR, False),
    Priority.LOW: (24 * HOUR, 48 * HOUR, 7 * 24 * HOUR, False),
}
# level: acknowledgement per priority (critical, high, medium, low)
LEVEL_ACKNOWLEDGE = {
    1: (15, 2 * HOUR, 8 * HOUR, 24 * HOUR),
    2: (30, 4 * HOUR, 12 * HOUR, 48 * HOUR),
    3: (1 * HOUR, 8 * HOUR, 24 * HOUR, 72 * HOUR),
    4: (2 * HOUR, 12 * HOUR, 48 * HOUR, 7 * 24 * HOUR),
}
TIME_RULES = [(1, 4 * HOUR, 2), (2, 8 * HOUR, 3), (3, 24 * HOUR, 4)]


@transaction.atomic
def install_defaults():
    """Create what is missing; returns the default policy. Idempotent."""
    tiers = {}
    for name, rank, minutes, channels, manager in TIERS:
        tiers[name], _created = ServiceTier.objects.get_or_create(
            name=name,
            defaults={
                "rank": rank,
                "first_response_minutes": minutes,
                "allowed_channels": channels,
                "has_account_manager": manager,
            },
        )
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Business hours (New York)", defaults={"time_zone": "America/New_York"}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=calendar, weekday=day, opens=time(9), closes=time(18)) for day in range(5)
        )
    BusinessCalendar.objects.get_or_create(name="Around the clock", defaults={"always_open": True})
    policy = SlaPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy, _created = SlaPolicy.objects.get_or_create(
            name="Standard support",
            defaults={
                "calendar": calendar,
                "is_default": True,
                "description": "Default targets by priority and tier.",
            },
        )
    if not policy.targets.exists():
        rows = []
        for tier in tiers.values():
            for priority, (first, nxt, resolution, always) in PRIORITY_TARGETS.items():
                rows.append(
                    SlaTarget(
                        policy=policy,
                        tier=tier,
                        priority=priority,
                        # The tier's promise caps the first reply; critical stays faster.
                        first_response_minutes=min(first, tier.first_response_minutes),
                        next_response_minutes=nxt,
                        resolution_minutes=resolution,
                        around_the_clock=always,
                    )
                )
        for priority, (first, nxt, resolution, always) in PRIORITY_TARGETS.items():
            rows.append(
                SlaTarget(
                    policy=policy,
                    tier=None,
                    priority=priority,
                    first_response_minutes=first,
                    next_response_minutes=nxt,
                    resolution_minutes=resolution,
                    around_the_clock=always,
                )
            )
        SlaTarget.objects.bulk_create(rows)
    if not policy.level_targets.exists():
        LevelTarget.objects.bulk_create(
            LevelTarget(
                policy=policy,
                level=level,
                priority=priority,
                acknowledge_minutes=minutes,
                update_minutes=PRIORITY_TARGETS[priority][1],
            )
            for level, figures in LEVEL_ACKNOWLEDGE.items()
            for priority, minutes in zip(Priority.values, figures, strict=True)
        )
    if not EscalationRule.objects.exists():
        security_team, _created = Team.objects.get_or_create(name="Security")
        security_queue, _created = Queue.objects.get_or_create(name="Security", defaults={"team": security_team})
        security, _created = Category.objects.get_or_create(slug="security", defaults={"name": "Security"})
        rules = [
            EscalationRule(
                name=f"L{start} to L{end} after {minutes // HOUR} h",
                trigger=EscalationTrigger.TIME,
                from_level=start,
                after_minutes=minutes,
                to_level=end,
            )
            for start, minutes, end in TIME_RULES
        ]
        rules += [
            EscalationRule(
                name="Critical to L3", trigger=EscalationTrigger.PRIORITY, priority=Priority.CRITICAL, to_level=3
            ),
            EscalationRule(name="High to L2", trigger=EscalationTrigger.PRIORITY, priority=Priority.HIGH, to_level=2),
            EscalationRule(
                name="Security to the security team",
                trigger=EscalationTrigger.CATEGORY,
                category=security,
                to_queue=security_queue,
            ),
        ]
        EscalationRule.objects.bulk_create(rules)
    return policy

"""Starting triage rules, routes and queue settings, installed by seed_demo (idempotent, by name).

The figures follow the playbooks: security reports straight to the security
team at critical priority, failed payments to billing at high, outages at
high, and VIP customers (Enterprise tier or a VIP account) one step up the
line. Admins edit or switch them off in Django admin; an admin's edit of a
rule that exists is never overwritten here.
"""

from ..models import (
    AssignmentMode,
    Category,
    ConditionField,
    Flag,
    Match,
    Operator,
    Priority,
    Queue,
    RoutingRule,
    Team,
    TriageCondition,
    TriageRule,
)

PAYMENT_WORDS = (
    "payment failed, payment declined, card declined, charged twice, pago ha fallado, pago falló, "
    "fallo en el pago, tarjeta rechazada, paiement a échoué, paiement refusé, zahlung fehlgeschlagen, "
    "zahlung abgelehnt, pagamento falhou, cartão recusado, 支払いが失敗, 決済エラー, 付款失败, 支付失败"
)
OUTAGE_WORDS = (
    "outage, service down, is down, not loading, caído, caída, sin servicio, en panne, panne, "
    "ausgefallen, ausfall, em baixo, fora do ar, サービスが停止, 障害, 服务中断, 宕机"
)

# name, order, match, stop, conditions [(field, operator, value)], actions
RULES = [
    (
        "Security report",
        10,
        Match.ALL,
        True,
        [(ConditionField.FLAG, Operator.IS_SET, Flag.SECURITY)],
        {"category": "security", "priority": Priority.CRITICAL, "queue": "Security"},
    ),
    (
        "Payment failed",
        20,
        Match.ALL,
        False,
        [(ConditionField.TEXT, Operator.ANY_WORD, PAYMENT_WORDS)],
        {"category": "billing", "priority": Priority.HIGH, "queue": "Billing"},
    ),
    (
        "Outage words",
        30,
        Match.ALL,
        False,
        [(ConditionField.TEXT, Operator.ANY_WORD, OUTAGE_WORDS)],
        {"category": "connectivity", "priority": Priority.HIGH},
    ),
    (
        "VIP customers go first",
        90,
        Match.ALL,
        False,
        [(ConditionField.FLAG, Operator.IS_SET, Flag.VIP)],
        {"raise_priority": True},
    ),
]
# name, order, category slug, queue
ROUTES = [
    ("Billing questions", 10, "billing", "Billing"),
    ("Security reports", 20, "security", "Security"),
    ("Bugs to technical", 30, "bug-report", "Technical"),
    ("Connectivity to technical", 40, "connectivity", "Technical"),
]
SKILLS = {"agent1": ["billing", "account-access", "how-to"], "agent2": ["bug-report", "connectivity"]}


def install_default_triage(people=None):
    security_team, _created = Team.objects.get_or_create(name="Security")
    Queue.objects.get_or_create(name="Security", defaults={"team": security_team})
    queues = {queue.name: queue for queue in Queue.objects.all()}
    categories = {category.slug: category for category in Category.objects.all()}
    if not Queue.objects.filter(is_default=True).exists() and "General" in queues:
        Queue.objects.filter(pk=queues["General"].pk).update(is_default=True)
    Queue.objects.filter(name__in=["General", "Billing", "Technical"], assignment=AssignmentMode.MANUAL).update(
        assignment=AssignmentMode.LEAST_LOADED
    )
    for name, order, match, stop, conditions, actions in RULES:
        if TriageRule.objects.filter(name=name).exists():
            continue
        rule = TriageRule.objects.create(
            name=name,
            order=order,
            match=match,
            stop_processing=stop,
            set_category=categories.get(actions.get("category")),
            set_priority=actions.get("priority"),
            raise_priority=actions.get("raise_priority", False),
            set_queue=queues.get(actions.get("queue")),
        )
        TriageCondition.objects.bulk_create(
            TriageCondition(rule=rule, field=field, operator=operator, value=value)
            for field, operator, value in conditions
        )
    for name, order, slug, queue in ROUTES:
        if slug in categories and queue in queues:
            RoutingRule.objects.get_or_create(
                name=name, defaults={"order": order, "category": categories[slug], "queue": queues[queue]}
            )
    for username, slugs in SKILLS.items():
        person = (people or {}).get(username)
        if person is not None and not person.skills.exists():
            person.skills.add(*[categories[slug] for slug in slugs if slug in categories])


def train_demo_classifier(dataset_path):
    """A first classifier from the generated, labelled tickets shipped with the bench, so the demo shows
    suggestions before it has resolved tickets of its own. Skipped when a classifier exists or the file is absent."""
    import json

    from ..models import ClassifierModel
    from . import classifier

    if ClassifierModel.objects.exists() or not dataset_path.exists():
        return None
    with dataset_path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    known = set(Category.objects.values_list("slug", flat=True))
    examples = [
        (classifier.ticket_text(row["subject"], row["body"]), row["category"], row["priority"])
        for row in rows
        if row["category"] in known
    ]
    return classifier.retrain(examples)

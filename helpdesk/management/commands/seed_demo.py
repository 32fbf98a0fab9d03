"""Demo data: tiers, organizations, teams, queues, people and a realistic ticket set.

Idempotent: people and configuration are looked up by name; the tickets are
created only once (a demo ticket is recognised by its requester and subject).
The incidents, knowledge and feedback apps add their demo data with their
own issues.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from comms.defaults import install_default_channel_rules, install_default_templates
from helpdesk import rollup, services
from helpdesk.api_clients import create_api_client, rotate_api_token
from helpdesk.macro_defaults import install_default_macros
from helpdesk.models import (
    STAFF_ROLES,
    ApiClient,
    Category,
    ClockTarget,
    EventKind,
    Handoff,
    Message,
    Organization,
    Priority,
    Queue,
    Role,
    ServiceTier,
    SignupPolicy,
    SlaClock,
    SlaInterval,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from helpdesk.sla_defaults import install_defaults
from helpdesk.triage.defaults import install_default_triage, train_demo_classifier
from knowledge import demo as knowledge_demo

ORGANIZATIONS = [("Acme", "Enterprise"), ("Globex", "Essential"), ("Initech", "Premium"), ("Umbrella", "Standard")]
TEAMS = ["Frontline", "Technical", "Engineering"]
QUEUES = [
    ("General", "Frontline"),
    ("Billing", "Frontline"),
    ("Technical", "Technical"),
    ("Engineering", "Engineering"),
]
CATEGORIES = [
    ("Account access", "account-access"),
    ("Billing", "billing"),
    ("Bug report", "bug-report"),
    ("Connectivity", "connectivity"),
    ("Feature request", "feature-request"),
    ("How-to question", "how-to"),
    ("Security", "security"),
]
PEOPLE = [
    # username, first, last, role, organization, language, time zone, level, team
    ("admin", "Ada", "Admin", Role.ADMIN, None, "en", "UTC", None, None),
    ("manager", "Maya", "Manager", Role.MANAGER, None, "en", "Europe/London", None, "Frontline"),
    ("agent1", "Arun", "Frontline", Role.AGENT, None, "en", "Europe/Madrid", 1, "Frontline"),
    ("agent2", "Beatriz", "Technical", Role.AGENT, None, "en", "Europe/Lisbon", 2, "Technical"),
    ("engineer", "Erik", "Engineer", Role.AGENT, None, "en", "Europe/Berlin", 3, "Engineering"),
    ("alice", "Alice", "Anders", Role.CUSTOMER, "Acme", "en", "America/New_York", None, None),
    ("bob", "Bob", "Baker", Role.CUSTOMER, "Globex", "en", "Europe/London", None, None),
    ("carmen", "Carmen", "Ruiz", Role.CUSTOMER, "Acme", "es", "Europe/Madrid", None, None),
    ("claire", "Claire", "Dubois", Role.CUSTOMER, "Initech", "fr", "Europe/Paris", None, None),
    ("dieter", "Dieter", "Krause", Role.CUSTOMER, "Umbrella", "de", "Europe/Berlin", None, None),
    ("yuki", "Yuki", "Tanaka", Role.CUSTOMER, "Globex", "ja", "Asia/Tokyo", None, None),
    ("priya", "Priya", "Patel", Role.CUSTOMER, "Acme", "en", "Europe/London", None, None),
]
# Addresses other than username@example.com: Acme's staff sign up with their acme.example address.
EMAILS = {"priya": "priya@acme.example"}
# Customers who follow every ticket of their organization on the portal.
ORG_ADMINS = ["alice"]
# Sign-up on the portal: Acme's staff join by email domain; every other organization stays closed.
SIGNUP = {"Acme": (SignupPolicy.DOMAIN, ["acme.example"])}
AGENT_LANGUAGES = {"agent1": ["en", "es"], "agent2": ["en", "pt", "fr"], "engineer": ["en", "de"], "manager": ["en"]}

# requester, subject, description, priority, category, queue, hours ago,
# then the conversation as (author, body, internal), then final changes.
TICKETS = [
    (
        "alice",
        "Cannot sign in after password reset",
        "I reset my password this morning and now the login page says *invalid credentials*.\n\n"
        "Three of us are affected.",
        Priority.HIGH,
        "account-access",
        "General",
        30,
        [
            (
                "agent1",
                "Sorry about that, Alice. Could you tell me the exact time of the reset and the browser you use?",
                False,
            ),
            ("agent1", "Reset tokens were rotated at 07:00 UTC; likely related.", True),
            ("alice", "Around 08:15 Eastern, Chrome on Windows.", False),
        ],
        {"assignee": "agent1", "status": Status.OPEN},
    ),
    (
        "alice",
        "Invoice 2026-10 shows the wrong seat count",
        "We have 48 seats but were billed for 60.",
        Priority.MEDIUM,
        "billing",
        "Billing",
        70,
        [("agent1", "Thanks, I have asked billing to check the seat history for October.", False)],
        {"assignee": "agent1", "status": Status.WAITING},
    ),
    (
        "alice",
        "API returns 502 on bulk export",
        "Calls to `/export?all=true` fail with 502 after about 30 seconds.",
        Priority.CRITICAL,
        "bug-report",
        "Technical",
        3,
        [("agent2", "Reproduced on our side. Escalating to engineering.", True)],
        {"assignee": "agent2", "level": 2, "status": Status.OPEN},
    ),
    (
        "alice",
        "Request: dark mode for the dashboard",
        "Our night shift would love a dark theme.",
        Priority.LOW,
        "feature-request",
        "General",
        200,
        [],
        {},
    ),
    (
        "carmen",
        "No puedo descargar las facturas",
        "El botón de descarga no hace nada en Firefox.",
        Priority.MEDIUM,
        "billing",
        "Billing",
        20,
        [],
        {},
    ),
    (
        "carmen",
        "Two-factor codes arrive late",
        "SMS codes take 5–10 minutes to arrive, so they expire.",
        Priority.HIGH,
        "account-access",
        "Technical",
        12,
        [("agent2", "We are checking with our SMS provider. Meanwhile the authenticator app works instantly.", False)],
        {"assignee": "agent2", "level": 2, "status": Status.OPEN},
    ),
    (
        "bob",
        "How do I add a second admin?",
        "Where in the settings can I give a colleague admin rights?",
        Priority.LOW,
        "how-to",
        "General",
        50,
        [
            ("agent1", "Go to **Settings → Team**, open the colleague's profile and tick *Administrator*.", False),
            ("bob", "Found it, thanks!", False),
        ],
        {"assignee": "agent1", "status": Status.RESOLVED},
    ),
    (
        "bob",
        "Webhook deliveries failing since Monday",
        "Our endpoint gets nothing since Monday 09:00.",
        Priority.HIGH,
        "connectivity",
        "Technical",
        40,
        [],
        {"level": 2},
    ),
    (
        "bob",
        "Exported CSV has broken accents",
        "Names like Zoë show as ZoÃ« in the export.",
        Priority.MEDIUM,
        "bug-report",
        "Engineering",
        90,
        [("engineer", "Confirmed: the export is missing a UTF-8 byte order mark for Excel. Fix is scheduled.", False)],
        {"assignee": "engineer", "level": 3, "status": Status.ON_HOLD},
    ),
    (
        "yuki",
        "ログイン画面が表示されない",
        "社内ネットワークからログイン画面が真っ白になります。",
        Priority.HIGH,
        "connectivity",
        "General",
        6,
        [],
        {},
    ),
    (
        "claire",
        "Suspicious login from an unknown country",
        "We saw a login to our admin account from abroad at 03:00.",
        Priority.CRITICAL,
        "security",
        "Engineering",
        1,
        [("engineer", "Session revoked and password reset forced; reviewing the audit log now.", True)],
        {"assignee": "engineer", "level": 3, "status": Status.OPEN},
    ),
    (
        "claire",
        "Change of billing contact",
        "Please send invoices to finance@example.com from now on.",
        Priority.LOW,
        "billing",
        "Billing",
        120,
        [("agent1", "Done: invoices now go to the new address.", False)],
        {"assignee": "agent1", "status": Status.CLOSED},
    ),
    (
        "dieter",
        "Sync stuck at 99 %",
        "The desktop sync has been at 99 % since yesterday.",
        Priority.MEDIUM,
        "bug-report",
        "Technical",
        26,
        [("agent2", "Could you send us the sync log? It is under Help → Diagnostics.", False)],
        {"assignee": "agent2", "level": 2, "status": Status.WAITING},
    ),
    (
        "dieter",
        "Training session for new staff",
        "Do you offer onboarding sessions for ten new users?",
        Priority.LOW,
        "how-to",
        "General",
        8,
        [],
        {},
    ),
    (
        "alice",
        "Slow dashboard for large projects",
        "Projects with over 5 000 items take 20 s to open.",
        Priority.MEDIUM,
        "bug-report",
        "Technical",
        15,
        [],
        {},
    ),
    (
        "carmen",
        "Cambiar el idioma de las notificaciones",
        "Quiero recibir los correos en español.",
        Priority.LOW,
        "how-to",
        "General",
        300,
        [("agent1", "Hecho: las notificaciones ya llegan en español.", False)],
        {"assignee": "agent1", "status": Status.RESOLVED},
    ),
    (
        "bob",
        "Cannot upload files larger than 5 MB",
        "Uploads stop at 5 MB with no error.",
        Priority.MEDIUM,
        "bug-report",
        "Technical",
        4,
        [],
        {},
    ),
    (
        "yuki",
        "Invoice in Japanese yen",
        "Can our invoices be issued in JPY?",
        Priority.LOW,
        "billing",
        "Billing",
        60,
        [],
        {},
    ),
    (
        "claire",
        "VPN users cannot reach the service",
        "Users behind our VPN time out since the weekend.",
        Priority.HIGH,
        "connectivity",
        "Technical",
        9,
        [("agent1", "Forwarding to our network specialists.", True)],
        {"level": 2},
    ),
    (
        "priya",
        "Shared calendar not syncing for the London office",
        "Since Tuesday, meetings booked in the shared calendar do not show up for the London team.",
        Priority.MEDIUM,
        "connectivity",
        "Technical",
        18,
        [("agent2", "Thanks, Priya. Could you tell us which calendar app the London team uses?", False)],
        {"assignee": "agent2", "level": 2, "status": Status.WAITING},
    ),
    (
        "alice",
        "Audit log export for compliance",
        "We need the last 12 months of audit log for our auditors.",
        Priority.MEDIUM,
        "security",
        "Engineering",
        45,
        [("engineer", "The export is ready; you can download it from Settings → Audit.", False)],
        {"assignee": "engineer", "level": 3, "status": Status.RESOLVED},
    ),
]


DEMO_API_CLIENT = "Acme web shop"
DEMO_API_TOKEN = "flt_demo-acme-web-shop-token-for-local-use-only"  # noqa: S105 - demo data, printed on purpose


def seed_api_client(stdout):
    """A ticket API client for Acme's customers, its token reset to the printed demo value each run."""
    client = ApiClient.objects.filter(name=DEMO_API_CLIENT).first()
    if client is None:
        acme = Organization.objects.get(name="Acme")
        create_api_client(None, name=DEMO_API_CLIENT, organizations=[acme], token=DEMO_API_TOKEN)
    else:
        rotate_api_token(None, client, token=DEMO_API_TOKEN)
    stdout.write(f"Ticket API: POST /api/tickets/ for Acme's customers with the token {DEMO_API_TOKEN}")


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refuses unless DEBUG or --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo only runs in development (DEBUG on) or with --force.")
        call_command("setup_roles", stdout=self.stdout if options.get("verbosity", 1) > 1 else _Null())
        with transaction.atomic():
            seed_configuration()
            people = seed_people()
        created = seed_tickets(people)
        # After the demo tickets, which carry their own queue and assignee: new tickets are triaged.
        install_default_triage(people)
        train_demo_classifier(settings.BASE_DIR / "bench" / "data" / "triage_dataset.jsonl")
        knowledge_demo.install(author=people["agent1"], approver=people["manager"])
        call_command(
            "seed_feedback_demo", stdout=self.stdout
        )  # feedback's demo answers and review (named by string: no import)
        # Named by string, like an app in settings: helpdesk does not import incidents.
        import_string("incidents.demo.seed_incidents")()
        import_string("incidents.journey.demo.seed_signals")(stdout=self.stdout)
        seed_api_client(stdout=self.stdout)
        # The dashboard's counts for past days, as the worker would build them within ten minutes.
        rollup.refresh(days=None)
        self.stdout.write(f"Demo data ready: {len(people)} people, {created} new tickets.")


class _Null:
    def write(self, *_args, **_kwargs):
        pass

    def flush(self):
        pass


def seed_configuration():
    # Tiers, calendar, SLA policy and escalation rules (idempotent; setup_sla does the same).
    install_defaults()
    install_default_templates()
    install_default_channel_rules()
    install_default_macros()
    for name, tier in ORGANIZATIONS:
        Organization.objects.get_or_create(name=name, defaults={"tier": ServiceTier.objects.get(name=tier)})
    for name, (policy, domains) in SIGNUP.items():
        # Only an organization still at the defaults: an admin's later choice is kept.
        Organization.objects.filter(name=name, signup_policy=SignupPolicy.CLOSED).update(
            signup_policy=policy, email_domains=domains
        )
    for name in TEAMS:
        Team.objects.get_or_create(name=name)
    for name, team in QUEUES:
        Queue.objects.get_or_create(name=name, defaults={"team": Team.objects.get(name=team)})
    for name, slug in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


def seed_people():
    password = make_password("demo")
    people = {}
    for username, first, last, role, org, language, tz, level, team in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": EMAILS.get(username, f"{username}@example.com"),
                "password": password,
                "role": role,
                "organization": Organization.objects.get(name=org) if org else None,
                "language": language,
                "time_zone": tz,
                "support_level": level,
                "team": Team.objects.get(name=team) if team else None,
                "languages": AGENT_LANGUAGES.get(username, []),
            },
        )
        if created:
            services.set_user_role(None, user, role=role)
        people[username] = user
    User.objects.filter(username__in=ORG_ADMINS, role=Role.CUSTOMER, is_org_admin=False).update(is_org_admin=True)
    for username in ORG_ADMINS:
        people[username].refresh_from_db(fields=["is_org_admin"])
    return people


def seed_tickets(people):
    queues = {q.name: q for q in Queue.objects.all()}
    categories = {c.slug: c for c in Category.objects.all()}
    created = 0
    for requester, subject, body, priority, category, queue, hours, talk, final in TICKETS:
        customer = people[requester]
        if Ticket.objects.filter(requester=customer, subject=subject).exists():
            continue
        ticket = services.create_ticket(
            customer,
            requester=customer,
            subject=subject,
            description=body,
            priority=priority,
            category=categories[category],
            queue=queues[queue],
        )
        for author, text, internal in talk:
            services.reply_to_ticket(people[author], ticket, body=text, internal=internal)
        changes = {}
        if "assignee" in final:
            changes["assignee"] = people[final["assignee"]]
        if "level" in final:
            changes["level"] = final["level"]
        if "status" in final:
            changes["status"] = final["status"]
        if changes:
            actor = changes.get("assignee") or people["agent1"]
            services.update_ticket(actor, ticket, **changes)
        _age(ticket, hours)
        created += 1
    return created


def _age(ticket, hours):
    """Move a freshly made ticket's history back in time so the queues look lived in.

    Entries keep their order and spacing: each is shifted by the same amount,
    minus a few minutes per step so replies follow the opening message.
    """
    shift = timedelta(hours=hours)
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk"))
    step = min(shift / (len(events) + 1), timedelta(hours=2))
    for index, event in enumerate(events):
        at = event.created_at - shift + step * index
        TicketEvent.objects.filter(pk=event.pk).update(created_at=at)
        if event.message_id:
            Message.objects.filter(pk=event.message_id).update(created_at=at)
    ticket.refresh_from_db(fields=["status"])
    last = events[-1].created_at - shift + step * (len(events) - 1) if events else ticket.created_at - shift
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=F("created_at") - shift,
        updated_at=last,
        last_public_at=last,
        resolved_at=last if ticket.status in (Status.RESOLVED, Status.CLOSED) else None,
        sla_due_at=F("sla_due_at") - shift,
        sla_paused_at=F("sla_paused_at") - shift,
        level_since=F("level_since") - shift,
        escalate_at=F("escalate_at") - shift,
        handoff_pending_since=F("handoff_pending_since") - shift,
    )
    # The SLA history moves back with the conversation, so countdowns and the
    # manager's dashboard show the demo as it would have happened.
    SlaClock.objects.filter(ticket=ticket).update(
        **{name: F(name) - shift for name in ("started_at", "due_at", "warn_at", "paused_at", "met_at", "stopped_at")}
    )
    # The first reply was met when the first agent reply was written, as the timeline now shows it;
    # a reply after the due time was a breach.
    first_reply = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REPLIED, actor__role__in=STAFF_ROLES)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    clock = SlaClock.objects.filter(ticket=ticket, target=ClockTarget.FIRST_RESPONSE, met_at__isnull=False).first()
    if clock and first_reply:
        late = first_reply > clock.due_at
        SlaClock.objects.filter(pk=clock.pk).update(
            met_at=first_reply,
            breached_at=clock.due_at if late else None,
            breached_level=clock.level if late else None,
            warned_at=clock.warn_at if first_reply > clock.warn_at else None,
        )
    SlaInterval.objects.filter(ticket=ticket).update(started_at=F("started_at") - shift, ended_at=F("ended_at") - shift)
    Handoff.objects.filter(ticket=ticket).update(
        created_at=F("created_at") - shift,
        acknowledge_due=F("acknowledge_due") - shift,
        acknowledged_at=F("acknowledged_at") - shift,
    )

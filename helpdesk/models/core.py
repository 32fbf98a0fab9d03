"""Ticket core: people, organizations, tiers, queues, tickets, messages, events."""

import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comms.models import ContactChannel


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = (Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN)

# Accounts the software itself acts as (the proactive-signals engine writes its notes and replies as one):
# a staff role, so the services accept what they write, and inactive, so nobody signs in with them and every
# list of agents (assignee pickers, routing and capacity, escalation notices, figures), which keeps to active
# staff, passes them by. Usernames with this prefix are reserved for them.
SYSTEM_USERNAME_PREFIX = "firstline-"


class SupportLevel(models.IntegerChoices):
    L1 = 1, _("L1 · Frontline")
    L2 = 2, _("L2 · Technical")
    L3 = 3, _("L3 · Engineering")
    L4 = 4, _("L4 · Management")


class ServiceTier(models.Model):
    """A commercial tier; its figures are defaults an admin can change."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=100, help_text=_("Lower ranks are served first."))
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    allowed_channels = models.JSONField(_("allowed channels"), default=list, blank=True)
    has_account_manager = models.BooleanField(_("has an account manager"), default=False)
    sla_policy = models.ForeignKey(
        "helpdesk.SlaPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tiers",
        verbose_name=_("SLA policy"),
        help_text=_("Empty: the default policy."),
    )

    class Meta:
        ordering = ["rank", "name"]
        verbose_name = _("service tier")
        verbose_name_plural = _("service tiers")

    def __str__(self):
        return self.name


class SignupPolicy(models.TextChoices):
    CLOSED = "closed", _("Closed: accounts are created by us")
    OPEN = "open", _("Open: anyone may sign up and pick this organization")
    DOMAIN = "domain", _("By email domain: addresses at the listed domains may sign up")


# One DNS name: labels of letters, digits and inner hyphens, at least one dot.
DOMAIN_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def clean_email_domains(values):
    """A list of domains, lowercased, without repeats; ValidationError naming any that is not a domain."""
    if isinstance(values, str):
        values = re.split(r"[\s,;]+", values)
    if not isinstance(values, list | tuple):
        raise ValidationError(_("Give the domains as a list."), code="domains_type")
    domains = []
    for value in values:
        domain = str(value).strip().lower().lstrip("@").rstrip(".")
        if not domain:
            continue
        if not DOMAIN_NAME.match(domain):
            raise ValidationError(
                _("“%(domain)s” is not an email domain such as example.com."),
                code="domain",
                params={"domain": domain},
            )
        if domain not in domains:
            domains.append(domain)
    return domains


def email_domain(address):
    """The domain of an email address, lowercased ('' when there is none)."""
    return (address or "").rpartition("@")[2].strip().lower()


class OrganizationQuerySet(models.QuerySet):
    def open_for_signup(self):
        """Organizations a visitor may pick when signing up; never the closed ones."""
        return self.filter(signup_policy=SignupPolicy.OPEN)

    def for_signup_domain(self, domain):
        """The organization whose listed domains take sign-ups from `domain`, or None.

        The lists are short and few organizations sign up by domain, so they
        are matched here rather than with a JSON lookup SQLite does not have.
        """
        domain = (domain or "").lower()
        if not domain:
            return None
        candidates = self.filter(signup_policy=SignupPolicy.DOMAIN).order_by("pk")
        return next((org for org in candidates if domain in (org.email_domains or [])), None)

    def with_email_domain(self, domain):
        """Organizations listing `domain` among their email domains, whatever their sign-up policy."""
        domain = (domain or "").lower()
        if not domain:
            return []
        return [org for org in self.exclude(email_domains=[]).order_by("pk") if domain in (org.email_domains or [])]

    def any_signup(self):
        return self.exclude(signup_policy=SignupPolicy.CLOSED).exists()


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    tier = models.ForeignKey(
        ServiceTier, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("tier")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    signup_policy = models.CharField(
        _("sign-up"), max_length=10, choices=SignupPolicy.choices, default=SignupPolicy.CLOSED
    )
    email_domains = models.JSONField(
        _("email domains"),
        default=list,
        blank=True,
        help_text=_("Lowercase domains such as acme.example; used when sign-up is by email domain."),
    )
    is_vip = models.BooleanField(
        _("VIP account"), default=False, help_text=_("Its tickets are flagged VIP by triage, whatever the tier.")
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(signup_policy__in=SignupPolicy.values), name="organization_signup_policy_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.email_domains = clean_email_domains(self.email_domains or [])
        except ValidationError as error:
            raise ValidationError({"email_domains": error.messages}) from error
        if self.signup_policy == SignupPolicy.DOMAIN and not self.email_domains:
            raise ValidationError(
                {"email_domains": _("List at least one domain, or choose another sign-up policy.")},
                code="no_domains",
            )
        if self.signup_policy == SignupPolicy.DOMAIN:
            others = Organization.objects.filter(signup_policy=SignupPolicy.DOMAIN).exclude(pk=self.pk)
            taken = sorted({d for org in others for d in (org.email_domains or [])} & set(self.email_domains))
            if taken:
                raise ValidationError(
                    {
                        "email_domains": _("Another organization already takes sign-ups from %(domains)s.")
                        % {"domains": ", ".join(taken)}
                    },
                    code="domain_taken",
                )


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def agents(self):
        return self.filter(role__in=STAFF_ROLES, is_active=True)

    def customers(self):
        return self.filter(role=Role.CUSTOMER)

    def for_api_client(self, client):
        """Active customers an API client may open tickets for: those of the organizations in its scope."""
        customers = self.customers().filter(is_active=True, organization__isnull=False)
        if client.all_organizations:
            return customers
        return customers.filter(organization__in=client.organizations.values("pk"))

    def search(self, text):
        """Names starting with `text` (username, first or last name): the assignee autocomplete."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(username__istartswith=text) | Q(first_name__istartswith=text) | Q(last_name__istartswith=text)
        )


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """Everyone who signs in: customers and staff, told apart by `role`.

    The role is mirrored into a Django group of the same name (see
    services.set_user_role) so that permissions are managed as groups.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organization"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    support_level = models.PositiveSmallIntegerField(
        _("support level"), choices=SupportLevel.choices, null=True, blank=True
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("Language codes, for agents.")
    )
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, help_text=_("International format, e.g. +34 600 123 456.")
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    backup_channel = models.CharField(_("backup channel"), max_length=10, choices=ContactChannel.choices, blank=True)
    is_org_admin = models.BooleanField(
        _("organization admin"),
        default=False,
        help_text=_("A customer who sees, answers, closes and reopens every ticket of their organization."),
    )
    # Set by self-service sign-up until the emailed link is opened. Distinct
    # from is_active, which an administrator may also clear: only an account
    # still waiting for its first confirmation can be activated by a link.
    pending_activation = models.BooleanField(
        _("waiting for email confirmation"),
        default=False,
        help_text=_("Signed up on the portal and has not opened the confirmation link yet."),
    )
    # Routing (helpdesk.triage.routing): who may take new tickets, how many, on what.
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=10, help_text=_("Open tickets this agent may hold before routing passes them by.")
    )
    is_available = models.BooleanField(_("available"), default=True)
    away_since = models.DateTimeField(_("away since"), null=True, blank=True)
    skills = models.ManyToManyField(
        "helpdesk.Category", blank=True, related_name="skilled_agents", verbose_name=_("skills")
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="customer") | Q(organization__isnull=False),
                name="customer_has_organization",
            ),
            models.CheckConstraint(
                condition=Q(is_org_admin=False) | Q(role="customer"),
                name="org_admin_is_customer",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.is_system:
            return gettext("Firstline (automatic)")
        return self.get_full_name() or self.username

    @property
    def is_system(self):
        """An account the software acts as (see SYSTEM_USERNAME_PREFIX), never a person.

        The username is read first: lists that load only names (`.only("username", …)`) then
        never fetch role and is_active, deferred, one query per person shown.
        """
        return self.username.startswith(SYSTEM_USERNAME_PREFIX) and self.role in STAFF_ROLES and not self.is_active

    @property
    def is_agent(self):
        return self.role in STAFF_ROLES and (self.is_active or self.is_system)

    @property
    def is_customer(self):
        return self.role == Role.CUSTOMER

    def clean(self):
        super().clean()
        if self.is_org_admin and self.role != Role.CUSTOMER:
            raise ValidationError(
                {"is_org_admin": _("Only customers can be organization admins.")}, code="org_admin_role"
            )


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Agents take tickets themselves")
    LEAST_LOADED = "least_loaded", _("Automatic: least-loaded agent")
    ROUND_ROBIN = "round_robin", _("Automatic: round robin")


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="queues")
    assignment = models.CharField(
        _("assignment"), max_length=12, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    is_default = models.BooleanField(
        _("default queue"), default=False, help_text=_("Where a ticket goes when nothing routes it elsewhere.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_queue")
        ]

    def __str__(self):
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class Channel(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")


def ref_to_pk(ref):
    """`FL-1042` -> 42; None for anything that is not a reference."""
    prefix = settings.FIRSTLINE_REF_PREFIX + "-"
    if not isinstance(ref, str) or not ref.upper().startswith(prefix):
        return None
    digits = ref[len(prefix) :]
    if not digits.isdigit() or len(digits) > 12:
        return None
    number = int(digits) - Ticket.REF_OFFSET
    return number if number > 0 else None


# Tickets we opened ourselves about a journey signal carry this tag (incidents/journey): the Proactive queue.
PROACTIVE_TAG = "proactive"


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(is_open=1)

    def for_customer(self, user):
        """Tickets a customer may see: their own; an organization admin, every ticket of the organization.

        Never another organization's: the organization is always part of the filter.
        """
        if not user.is_authenticated or not user.is_customer or user.organization_id is None:
            return self.none()
        tickets = self.filter(organization_id=user.organization_id)
        return tickets if user.is_org_admin else tickets.requested_by(user)

    def requested_by(self, user):
        return self.filter(requester_id=user.pk)

    def for_api_client(self, client):
        """Tickets an API client may read: those of the organizations in its scope, whoever opened them."""
        if client.all_organizations:
            return self.all()
        return self.filter(organization__in=client.organizations.values("pk"))

    def with_public_state(self):
        """What the ticket API tells about a ticket: the count of messages the customer can see comes along
        (no internal notes, no macro reply still inside its undo window)."""
        public = Q(messages__is_internal=False, messages__held_until__isnull=True)
        return self.annotate(public_messages=models.Count("messages", filter=public))

    def visible_to(self, user):
        """Every ticket `user` may open: all for agents, `for_customer` for customers, none otherwise."""
        if user.is_authenticated and user.is_agent:
            return self.for_agent(user)
        return self.for_customer(user)

    def for_agent(self, user):
        if not user.is_authenticated or not user.is_agent:
            return self.none()
        return self.all()

    def search(self, text):
        """Free text over reference, subject and the requester's names and email."""
        text = (text or "").strip()
        if not text:
            return self
        pk = ref_to_pk(text)
        if pk is not None:
            return self.filter(pk=pk)
        if text.isdigit() and len(text) <= 12 and int(text) > Ticket.REF_OFFSET:
            by_number = Q(pk=int(text) - Ticket.REF_OFFSET)
        else:
            by_number = Q(pk__in=[])
        return self.filter(
            by_number
            | Q(subject__icontains=text)
            | Q(requester__username__icontains=text)
            | Q(requester__email__icontains=text)
            | Q(requester__first_name__icontains=text)
            | Q(requester__last_name__icontains=text)
        )

    def in_view(self, view, user, *, since, soon=None):
        """One of the agent workspace's named queues. `soon` is the horizon of *Breaching soon*."""
        if view == "mine":
            return self.open().filter(assignee=user)
        if view == "unassigned":
            return self.open().filter(assignee__isnull=True)
        if view == "team":
            return self.open().filter(queue__team_id=user.team_id) if user.team_id else self.none()
        if view == "waiting":
            return self.filter(status=Status.WAITING)
        if view == "resolved":
            return self.filter(is_open=0, resolved_at__gte=since)
        if view == "breaching":
            return self.open().filter(sla_due_at__lte=soon or timezone.now())
        if view == "proactive":
            return self.open().filter(tags__name=PROACTIVE_TAG)
        return self.open()

    def matching(self, user, *, status=None, priority=None, queue=None, level=None, category=None, assignee=None):
        """The agent queue's filters; None or "" means any. `assignee` is a username, "me" or "none"."""
        fields = {"status": status, "priority": priority, "queue": queue, "level": level, "category": category}
        tickets = self.filter(**{name: value for name, value in fields.items() if value not in (None, "")})
        assignee = (assignee or "").strip()
        if assignee.lower() == "me":
            return tickets.filter(assignee=user)
        if assignee.lower() == "none":
            return tickets.filter(assignee__isnull=True)
        if assignee:
            return tickets.filter(assignee__username__iexact=assignee)
        return tickets

    def with_list_columns(self):
        # Queue and category come by prefetch: joining those two small tables as
        # well multiplies PostgreSQL's planning time (5 ms against 0.5 ms).
        return self.select_related("requester", "organization", "assignee").prefetch_related("queue", "category")

    def with_detail(self):
        # The triage record (one per ticket) comes along in the same query for the sidebar.
        return self.select_related(
            "requester", "organization__tier", "assignee", "triage__suggested_category"
        ).prefetch_related("queue", "category", "tags")

    def with_portal_detail(self):
        """What the portal's ticket page shows; tags are the agents' own and stay out."""
        return self.select_related("requester", "organization__tier", "assignee").prefetch_related("queue", "category")

    def queue_counts(self, user, *, since, soon=None, only=None):
        """Every agent queue's count (or those named in `only`) in one round trip.

        Each count is its own scalar subquery so that each can use its own
        index; one aggregate with FILTER clauses would scan the whole table.
        """
        tickets = Ticket.objects.order_by()
        team_queues = Queue.objects.filter(team_id=user.team_id).values("pk")
        team = tickets.filter(queue__in=team_queues) if user.team_id else tickets.none()
        parts = {
            "mine": tickets.filter(is_open=1, assignee=user),
            "unassigned": tickets.filter(is_open=1, assignee__isnull=True),
            "team": team.filter(is_open=1),
            "open": tickets.filter(is_open=1),
            "waiting": tickets.filter(status=Status.WAITING),
            "resolved": tickets.filter(is_open=0, resolved_at__gte=since),
            "breaching": tickets.filter(is_open=1, sla_due_at__lte=soon or timezone.now()),
            "proactive": tickets.filter(is_open=1, tags__name=PROACTIVE_TAG),
        }
        if only:
            parts = {name: parts[name] for name in only}
        counts = (
            User.objects.filter(pk=user.pk)
            .values(**{f"count_{name}": _count(qs) for name, qs in parts.items()})
            .first()
        )
        return {name: counts[f"count_{name}"] or 0 for name in parts}


def _count(queryset):
    """COUNT(*) of a queryset as a scalar subquery."""
    return models.Subquery(
        # COUNT(*), not COUNT(id): the database may answer from the index alone.
        queryset.annotate(_n=models.Func(template="COUNT(*)", output_field=models.IntegerField())).values("_n")[:1],
        output_field=models.IntegerField(),
    )


class Ticket(models.Model):
    REF_OFFSET = 1000

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("organization")
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("queue")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    level = models.PositiveSmallIntegerField(_("support level"), choices=SupportLevel.choices, default=SupportLevel.L1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    last_public_at = models.DateTimeField(_("last public reply"), null=True, blank=True)
    # Service levels. The policy's terms are frozen here when the ticket is
    # opened (see helpdesk.clocks); the nearest running target is copied to
    # sla_due_at so queues sort and filter by it in SQL.
    sla_policy = models.ForeignKey(
        "helpdesk.SlaPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sla_terms = models.JSONField(default=dict, blank=True, editable=False)
    sla_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    sla_due_target = models.CharField(max_length=20, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    level_since = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalation_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    handoff_pending_since = models.DateTimeField(null=True, blank=True)
    escalation_requested_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField("helpdesk.Tag", blank=True, related_name="tickets", verbose_name=_("tags"))
    # Bumped by every service that changes the ticket, so an edit made from a
    # stale page is detected instead of silently overwriting someone else's.
    version = models.PositiveIntegerField(default=1)
    # Kept by the database from `status` (1 open, 0 done), so the open queues
    # read one index in order instead of sorting every open ticket. An integer
    # rather than a boolean: SQLite uses an index for `is_open = 1`, not for a
    # bare boolean column.
    is_open = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=OPEN_STATUSES, then=models.Value(1)),
            default=models.Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["is_open", "-updated_at", "-id"], name="ticket_open_updated"),
            models.Index(fields=["is_open", "-created_at", "-id"], name="ticket_open_created"),
            models.Index(fields=["is_open", "priority", "-updated_at", "-id"], name="ticket_open_priority"),
            models.Index(fields=["assignee", "is_open"], name="ticket_assignee_open"),
            models.Index(fields=["queue", "is_open"], name="ticket_queue_open"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["organization", "-updated_at"], name="ticket_org_updated"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            # Also serves the dashboard's reopen and first-contact rates from the index alone.
            models.Index(
                fields=["is_open", "resolved_at", "created_at", "escalation_count", "reopen_count"],
                name="ticket_done_resolved_counts",
            ),
            models.Index(fields=["created_at", "escalation_count"], name="ticket_created_escalated"),
            models.Index(fields=["is_open", "assignee"], name="ticket_open_assignee"),
            # The dashboard's backlog and agent load filtered by priority.
            models.Index(fields=["is_open", "priority", "created_at"], name="ticket_open_priority_created"),
            models.Index(fields=["is_open", "priority", "assignee"], name="ticket_open_priority_assignee"),
            # Lets the dashboard's compliance join read four columns instead of whole ticket rows.
            models.Index(fields=["id", "priority", "organization", "queue", "assignee"], name="ticket_report_dims"),
            models.Index(fields=["is_open", "sla_due_at", "id"], name="ticket_open_due"),
            models.Index(fields=["escalate_at"], name="ticket_escalate_at", condition=Q(escalate_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="ticket_level_range"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=4), name="ticket_priority_range"),
        ]

    def __str__(self):
        return f"{self.ref} {self.subject}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("helpdesk:ticket-detail", args=[self.ref])

    def get_portal_url(self):
        from django.urls import reverse

        return reverse("portal:ticket-detail", args=[self.ref])

    @property
    def ref(self):
        return self.ref_for(self.pk)

    def is_visible_to_customer(self, user):
        """The rule of TicketQuerySet.for_customer, for one ticket already in hand."""
        if not user.is_authenticated or not user.is_customer or user.organization_id is None:
            return False
        if self.organization_id != user.organization_id:
            return False
        return user.is_org_admin or self.requester_id == user.pk

    @classmethod
    def ref_for(cls, pk):
        """The reference of the ticket with this id, for rows read without the model (values())."""
        return f"{settings.FIRSTLINE_REF_PREFIX}-{pk + cls.REF_OFFSET}"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ticket_messages")
    body = models.TextField(_("message"))
    # The body rendered once, when written (Markdown, cleaned by nh3): a ticket
    # page shows many messages and would otherwise render each on every view.
    body_html = models.TextField(blank=True, editable=False)
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # A reply sent by a macro waits out the undo window: until this time the
    # customer does not see it; helpdesk.macros.release_held_replies then sends
    # it and clears the field. Null for every message that is not held.
    held_until = models.DateTimeField(_("held until"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created"),
            models.Index(fields=["held_until"], name="message_held", condition=Q(held_until__isnull=False)),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.ticket_id}: {self.body[:40]}"


def attachment_path(instance, filename):
    # The stored name is random; the original name is kept in a column and
    # only ever shown escaped.
    import uuid

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class TicketEventQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def visible_to_customer(self, now):
        """Public entries, without replies still held in a macro's undo window."""
        return self.public().filter(
            Q(message__isnull=True) | Q(message__held_until__isnull=True) | Q(message__held_until__lte=now)
        )

    def timeline(self):
        """Everything the timeline shows, in time order, in two queries."""
        return (
            self.select_related("actor", "message__author")
            .prefetch_related("message__attachments")
            .order_by("created_at", "pk")
        )


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket opened")
    REPLIED = "replied", _("Public reply")
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    CATEGORY = "category", _("Category changed")
    ASSIGNED = "assigned", _("Assignee changed")
    LEVEL = "level", _("Support level changed")
    QUEUE = "queue", _("Queue changed")
    SLA_WARNING = "sla_warning", _("SLA target nearly used")
    SLA_BREACH = "sla_breach", _("SLA target breached")
    SLA_RECOMPUTED = "sla_recomputed", _("SLA targets recomputed")
    ESCALATED = "escalated", _("Escalated")
    DEESCALATED = "deescalated", _("De-escalated")
    HANDOFF_ACKNOWLEDGED = "handoff_ack", _("Handoff acknowledged")
    ESCALATION_REQUESTED = "esc_requested", _("Customer asked for escalation")
    ESCALATION_ANSWERED = "esc_answered", _("Escalation request answered")
    FILES_SKIPPED = "files_skipped", _("Email attachments not kept")
    TAGS = "tags", _("Tags changed")
    MACRO_APPLIED = "macro", _("Macro applied")
    MACRO_UNDONE = "macro_undone", _("Macro undone")
    REMINDER = "reminder", _("Reminder")
    DELIVERY_FAILED = "delivery_failed", _("Message could not be delivered")
    SURVEY_ANSWERED = "survey_answered", _("Survey answered")
    ARTICLE_CAPTURED = "kb_captured", _("Knowledge article written")
    TRIAGED = "triaged", _("Triage decision")
    TRIAGE_FAILED = "triage_failed", _("Triage step failed")
    SUGGESTION = "suggestion", _("Suggestion answered")


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline.

    Messages appear in the timeline through their event (kind replied/note),
    so one query in time order gives the whole history. `is_public` decides
    whether a customer may see the entry.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    message = models.OneToOneField(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="event")
    data = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by events a periodic job writes (SLA warnings, breaches, automatic
    # escalations): a second run, or a second worker, cannot write them twice.
    key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class WorkerHeartbeat(models.Model):
    """A single row the worker touches every minute; /healthz reports its age."""

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.beat_at}"

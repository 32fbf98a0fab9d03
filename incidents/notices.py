"""Customer notices and executive summaries of an incident update, written to the outbox set-wise.

A P1 can reach thousands of contacts, so this does what `notify_contact`
does for one person, for all of them at once: the template's texts are
read once per language, the channel rules once per combination of tier and
preferences, and the rows go in with bulk INSERTs that skip keys already
present. The update is stamped in the same transaction, so a second run
(a duplicated task, the sweep's re-drive) finds nothing to do, and a run
killed half-way leaves no stamp and is simply done again.
"""

import logging
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from comms.defaults import default_template
from comms.models import MessageTemplate, OutboundChannel
from comms.services import SHORT_CHANNELS, build_message, channel_key, choose_channels, deliverable_channels
from comms.templating import render, render_subject
from helpdesk.models import Role, User

from .models import Incident, IncidentUpdate
from .outbox import insert_ignoring_existing
from .subscriptions import subscriber_rows

logger = logging.getLogger(__name__)

ALERT_SLUG = "incident-alert"
UPDATE_SLUG = "incident-update"
EXECUTIVE_SLUG = "incident-executive-summary"
CHAT_ROOM = "incidents"
CONTACT_FIELDS = (
    "pk",
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "preferred_channel",
    "backup_channel",
    "organization__name",
    "organization__tier__allowed_channels",
)


def template_for(slug):
    """The admin's active template, or the built-in default text while there is none."""
    template = MessageTemplate.objects.filter(slug=slug, is_active=True).first()
    if template is not None:
        return template
    # The built-in texts (modeltranslation's field names spell zh-hans as zh_hans).
    return default_template(slug)


class Texts:
    """A template's subject, body and short text per language, looked up once each."""

    def __init__(self, template):
        self.template = template
        self._by_language = {}

    def get(self, language):
        if language not in self._by_language:
            subject, used = self.template.translated("subject", language)
            body, _used = self.template.translated("body", used)
            short, _used = self.template.translated("short_text", used)
            self._by_language[language] = (subject, body, short, used)
        return self._by_language[language]


def format_due(when, zone_name="UTC"):
    if when is None:
        return "—"
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%H:%M %Z")


def incident_values(incident, update):
    """Placeholders shared by every recipient of this update (plain strings)."""
    systems = ", ".join(a.component.name for a in incident.affected.all()) or incident.title
    status_url = settings.FIRSTLINE_SITE_URL + reverse("status:page")
    with translation.override("en"):
        status_label = str(update.get_status_display())
    return {
        "incident_id": incident.ref,
        "incident_title": incident.title,
        "severity": incident.severity_code,
        "affected_systems": systems,
        "next_update_time": format_due(incident.next_update_due) if incident.is_open else "—",
        "status_page_url": status_url,
        "incident_url": f"{status_url}#{incident.ref}",
        "incident_status": status_label,
        "update_text": update.body,
        "site_url": settings.FIRSTLINE_SITE_URL,
    }


def customer_contacts(incident):
    """Active customers of the affected organizations (of all, when the incident says so), as plain rows."""
    people = User.objects.filter(role=Role.CUSTOMER, is_active=True, organization__isnull=False)
    if not incident.all_organizations:
        people = people.filter(organization__in=incident.organizations.all())
    return people.order_by("pk").values(*CONTACT_FIELDS)


def executives():
    """Who receives the executive summary: the `FIRSTLINE_EXECUTIVE_GROUP` group, else every manager."""
    group = Group.objects.filter(name=settings.FIRSTLINE_EXECUTIVE_GROUP).first()
    people = User.objects.filter(is_active=True).exclude(email="")
    chosen = people.filter(groups=group) if group else people.none()
    if group is None or not chosen.exists():
        chosen = people.filter(role=Role.MANAGER)
    return chosen.order_by("pk").values(*CONTACT_FIELDS)


def _name(row):
    return " ".join(filter(None, [row["first_name"], row["last_name"]])) or row["username"]


def _customer_rows(incident, update, values, now, *, key_prefix=None, first_notice=None):
    """One outbox row per contact and chosen channel."""
    first_notice = update.is_first_notice if first_notice is None else first_notice
    key_prefix = key_prefix or f"incident:{incident.pk}:update:{update.pk}"
    texts = Texts(template_for(ALERT_SLUG if first_notice else UPDATE_SLUG))
    severity = f"p{incident.severity}"
    channels_for = {}
    rows = []
    link = reverse("status:page") + f"#{incident.ref}"
    for row in customer_contacts(incident):
        subject, body, short, used = texts.get(row["language"] or settings.LANGUAGE_CODE)
        allowed = tuple(row["organization__tier__allowed_channels"] or ())
        combo = (allowed, row["preferred_channel"], row["backup_channel"])
        if combo not in channels_for:
            channels_for[combo] = deliverable_channels(
                choose_channels(severity=severity, allowed=allowed, preferred=combo[1], backup=combo[2])
            )
        mine = {**values, "customer_name": _name(row), "organization": row["organization__name"]}
        key = f"{key_prefix}:user:{row['pk']}"
        rendered_subject = render_subject(subject, mine)
        rendered_body = None
        for channel in channels_for[combo]:
            to = {OutboundChannel.EMAIL: row["email"], OutboundChannel.SMS: row["phone"]}.get(channel, str(row["pk"]))
            if not to:
                continue
            if channel in SHORT_CHANNELS:
                text = render_subject(short, mine) if short else rendered_subject
            else:
                rendered_body = rendered_body if rendered_body is not None else render(body, mine)
                text = rendered_body
            try:
                rows.append(
                    build_message(
                        channel=channel,
                        key=channel_key(key, channel),
                        to=to,
                        subject=rendered_subject,
                        body=text,
                        recipient_user_id=row["pk"],
                        reference=incident.ref,
                        thread=incident.ref,
                        template_slug=texts.template.slug,
                        language=used,
                        link=link if channel != OutboundChannel.EMAIL else "",
                        now=now,
                    )
                )
            except ValueError as exc:
                # One unusable address must not hold back everyone else's notice.
                logger.warning("Incident notice to user %s by %s skipped: %s", row["pk"], channel, exc)
    return rows


def executive_values(incident, values, now):
    from .models import BusinessImpact, CrisisLevel, SecurityImpact, UsersAffected

    with translation.override("en"):
        impact = " · ".join(
            str(choices(value).label)
            for choices, value in (
                (UsersAffected, incident.users_affected),
                (BusinessImpact, incident.business_impact),
                (SecurityImpact, incident.security_impact),
            )
            if value
        )
        crisis = str(CrisisLevel(incident.crisis_level).label) if incident.crisis_level else ""
    organizations = (
        "all" if incident.all_organizations else ", ".join(o.name for o in incident.organizations.all()) or "—"
    )
    minutes = int((now - incident.declared_at) / timedelta(minutes=1))
    return {
        **values,
        "crisis_level": crisis,
        "impact": impact or "—",
        "affected_organizations": organizations,
        "duration": f"{minutes // 60} h {minutes % 60} min",
        "commander": incident.commander.display_name,
    }


def _executive_rows(incident, update, values, now):
    if not incident.crisis_level or not incident.terms.get("executives", True):
        return []
    texts = Texts(template_for(EXECUTIVE_SLUG))
    values = executive_values(incident, values, now)
    rows = []
    for row in executives():
        subject, body, _short, used = texts.get(row["language"] or settings.LANGUAGE_CODE)
        mine = {**values, "customer_name": _name(row)}
        try:
            rows.append(
                build_message(
                    channel=OutboundChannel.EMAIL,
                    key=f"incident:{incident.pk}:update:{update.pk}:executive:user:{row['pk']}",
                    to=row["email"],
                    subject=render_subject(subject, mine),
                    body=render(body, mine),
                    recipient_user_id=row["pk"],
                    reference=incident.ref,
                    thread=incident.ref,
                    template_slug=texts.template.slug,
                    language=used,
                    now=now,
                )
            )
        except ValueError as exc:
            logger.warning("Executive summary to user %s skipped: %s", row["pk"], exc)
    return rows


def send_update_notices(update_id, *, now=None):
    """Write every notice of a public update to the outbox once; returns how many rows were built."""
    now = now or timezone.now()
    with transaction.atomic():
        update = (
            IncidentUpdate.objects.awaiting_notices()
            .select_for_update()
            .select_related("incident")
            .filter(pk=update_id)
        ).first()
        if update is None:
            return 0
        incident = (
            Incident.objects.select_related("commander")
            .prefetch_related("affected__component", "organizations")
            .get(pk=update.incident_id)
        )
        values = incident_values(incident, update)
        rows = _executive_rows(incident, update, values, now)
        # Held back during maintenance (see services.declare_incident): customers and subscribers wait.
        if not update.held_back:
            rows = _customer_rows(incident, update, values, now) + rows + subscriber_rows(incident, update, values, now)
        insert_ignoring_existing(rows)
        IncidentUpdate.objects.filter(pk=update.pk).update(notices_sent_at=now, notices_count=len(rows))
        transaction.on_commit(_wake_delivery)
    return len(rows)


def catch_up_key(incident):
    return f"incident:{incident.pk}:catch-up"


def write_catch_up_notices(incident, *, now):
    """When a maintenance hold lifts: customers and subscribers get the latest public update, once.

    Only the latest public update goes out (a string of stale messages says
    less than the current state), and only if customers never had it, that
    is if it was held back. The rows are keyed per incident, not per update,
    so whatever runs again (the sweep, a second click) writes nothing. The
    caller runs this in the transaction that lifts the hold. Returns the
    update sent, or None.
    """
    update = IncidentUpdate.objects.public().filter(incident=incident).order_by("-created_at", "-pk").first()
    if update is None or not update.held_back:
        return None
    incident = (
        Incident.objects.select_related("commander")
        .prefetch_related("affected__component", "organizations")
        .get(pk=incident.pk)
    )
    values = incident_values(incident, update)
    prefix = catch_up_key(incident)
    rows = _customer_rows(
        incident, update, values, now, key_prefix=prefix, first_notice=incident.first_notice_at is None
    ) + subscriber_rows(incident, update, values, now, key_prefix=prefix)
    insert_ignoring_existing(rows)
    transaction.on_commit(_wake_delivery)
    return update


def _wake_delivery():
    """One delivery run for the whole batch (rather than a task per row); the minute sweep is the fallback."""
    from django_q.tasks import async_task

    try:
        async_task("comms.tasks.deliver_due", task_name="incident-notices-delivery")
    except Exception:
        logger.exception("Could not wake the delivery worker; the delivery sweep will send the notices")

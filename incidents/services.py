"""Business actions on incidents.

Each function takes the acting user first, runs in one transaction, writes
the incident's events, and hands customer notices to `transaction.on_commit`
(a django-q2 task, re-driven by the cadence sweep if it is lost). Views,
admin actions, tasks and the demo call these; none re-implements them.
"""

import logging
import math
from datetime import timedelta

from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import services as ticket_services
from helpdesk.models import OPEN_STATUSES, Status, Ticket
from helpdesk.text import render_markdown

from .maintenance import covering_window
from .models import (
    OPEN_INCIDENT_STATUSES,
    CadenceDeadline,
    CadencePolicy,
    Component,
    ComponentStatus,
    CrisisPolicy,
    DeadlineKind,
    EventKind,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentStatus,
    IncidentTicketLink,
    IncidentUpdate,
    LinkState,
    MaintenanceWindow,
)
from .notices import write_catch_up_notices

logger = logging.getLogger(__name__)


class IncidentError(Exception):
    """A rule refused the action (the message says which, for the person who tried)."""


# --- cadence terms and deadlines ----------------------------------------------------------


def cadence_terms(severity, crisis_level=None):
    """The cadence in minutes for a severity, tightened by the crisis level's percentage.

    Only the first notice and the update interval tighten: a crisis makes us
    talk more often, it does not make the fix or the follow-up any faster.
    """
    from .defaults import CADENCE

    policy = CadencePolicy.objects.filter(severity=severity).first()
    if policy is None:
        first, update, resolve, follow_up = CADENCE[severity]
        warn = 80
    else:
        first, update = policy.first_notice_minutes, policy.update_minutes
        resolve, follow_up, warn = policy.resolve_minutes, policy.follow_up_minutes, policy.warn_percent
    percent = 100
    executives = False
    if crisis_level:
        crisis = CrisisPolicy.objects.filter(level=crisis_level).first()
        percent = crisis.cadence_percent if crisis else 100
        executives = crisis.notify_executives if crisis else True
    return {
        "first_notice": max(1, math.ceil(first * percent / 100)),
        "update": max(1, math.ceil(update * percent / 100)),
        "resolution": resolve,
        "follow_up": follow_up,
        "warn_percent": warn,
        "executives": executives,
    }


def _deadline(incident, kind, start, minutes):
    """An unsaved deadline `minutes` after `start`, warned at the policy's share of the interval."""
    interval = timedelta(minutes=minutes)
    warn = interval * incident.terms.get("warn_percent", 80) / 100
    return CadenceDeadline(incident=incident, kind=kind, due_at=start + interval, warn_at=start + warn)


def next_update_deadline(incident, after):
    return _deadline(incident, DeadlineKind.UPDATE, after, incident.terms["update"])


def refresh_due_times(incident_ids):
    """Copy each incident's earliest pending update (or first notice) and follow-up due times onto its row."""
    pending = CadenceDeadline.objects.pending().filter(incident=OuterRef("pk")).order_by().values("incident")
    talk = pending.filter(kind__in=[DeadlineKind.UPDATE, DeadlineKind.FIRST_NOTICE])
    Incident.objects.filter(pk__in=incident_ids).update(
        next_update_due=Subquery(talk.annotate(m=Min("due_at")).values("m")[:1]),
        follow_up_due=Subquery(pending.filter(kind=DeadlineKind.FOLLOW_UP).annotate(m=Min("due_at")).values("m")[:1]),
    )


def _close_deadlines(incident, kinds, now, *, met=True):
    field = "met_at" if met else "cancelled_at"
    return CadenceDeadline.objects.pending().filter(incident=incident, kind__in=kinds).update(**{field: now})


def _record(incident, actor, kind, *, at, data=None, update=None):
    return IncidentEvent.objects.create(
        incident=incident, actor=actor, kind=kind, data=data or {}, update=update, created_at=at
    )


# --- declaring ------------------------------------------------------------------------------


def suggest_severity(*, users_affected="", business_impact="", security_impact=""):
    """Seed 002's impact matrix: the most severe level any answer points to (None with no answers)."""
    matrix = {
        "users": {"all": 1, "multiple": 2, "single": 3, "none": 4},
        "business": {"revenue": 1, "feature": 2, "minor": 3, "none": 4},
        "security": {"breach": 1, "vulnerability": 2, "concern": 3, "none": 4},
    }
    found = [
        matrix["users"].get(users_affected),
        matrix["business"].get(business_impact),
        matrix["security"].get(security_impact),
    ]
    found = [level for level in found if level]
    return min(found) if found else None


def declare_incident(
    actor,
    *,
    title,
    severity,
    commander,
    communications_lead,
    crisis_level=None,
    users_affected="",
    business_impact="",
    security_impact="",
    is_public=True,
    all_organizations=False,
    organizations=(),
    components=None,
    message="",
    ticket=None,
    now=None,
):
    """Open an incident with its cadence frozen, its components set, and its first deadlines running.

    `components` maps Component to the status the incident puts it in. With
    a `message`, the first public update goes out at once (which is the
    first customer notice); otherwise the first notice is due within the
    severity's first-notice time. A `ticket` it is declared from is linked.
    """
    if not all_organizations and not organizations and not components:
        raise IncidentError(_("Choose the affected organizations (or all), or at least one component."))
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident(
            title=title.strip(),
            severity=severity,
            crisis_level=crisis_level or None,
            users_affected=users_affected,
            business_impact=business_impact,
            security_impact=security_impact,
            is_public=is_public,
            all_organizations=all_organizations,
            commander=commander,
            communications_lead=communications_lead,
            declared_by=actor,
            declared_at=now,
            updated_at=now,
            terms=cadence_terms(severity, crisis_level),
        )
        incident.save()
        if organizations and not all_organizations:
            incident.organizations.set(organizations)
        # Every affected component already under maintenance: customers were told about the work, so a
        # problem inside it is not broadcast on its own. The commander sees why and may notify anyway.
        holder = covering_window([c.pk for c in components or {}])
        for component, status in (components or {}).items():
            IncidentComponent.objects.create(incident=incident, component=component, status=status)
            Component.objects.filter(pk=component.pk).update(status=status, status_changed_at=now)
        deadlines = [_deadline(incident, DeadlineKind.RESOLUTION, now, incident.terms["resolution"])]
        if holder is None:
            deadlines.append(_deadline(incident, DeadlineKind.FIRST_NOTICE, now, incident.terms["first_notice"]))
        CadenceDeadline.objects.bulk_create(deadlines)
        _record(
            incident,
            actor,
            EventKind.DECLARED,
            at=now,
            data={"severity": severity, "crisis_level": crisis_level, "public": is_public},
        )
        if holder is not None:
            incident.notices_held_by = holder
            incident.save(update_fields=["notices_held_by"])
            _record(
                incident,
                actor,
                EventKind.NOTICES_HELD,
                at=now,
                data={"maintenance": holder.pk, "title": holder.title, "until": holder.ends_at.isoformat()},
            )
        if ticket is not None:
            link_ticket(actor, incident, ticket, now=now)
        refresh_due_times([incident.pk])
        if message.strip():
            post_update(actor, incident, body=message, public=True, now=now)
    incident.refresh_from_db()
    return incident


# --- updates -------------------------------------------------------------------------------


def post_update(actor, incident, *, body, status=None, public=True, now=None):
    """Post an update; a public one counts for the cadence, reaches customers and linked tickets.

    A public update is the first customer notice if none went out yet, meets
    the pending update deadline and starts the next interval. Moving to
    `resolved` stops the update cadence, meets the resolution deadline,
    starts the follow-up one, puts components back to operational and
    resolves linked tickets with this text. A public update after resolution
    is the follow-up.
    """
    body = (body or "").strip()
    if not body:
        raise IncidentError(_("Write the update."))
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        status = status or incident.status
        if incident.status == IncidentStatus.RESOLVED and status != IncidentStatus.RESOLVED:
            raise IncidentError(_("This incident is resolved; declare a new one if the problem is back."))
        if incident.closed_at is not None:
            raise IncidentError(_("This incident is closed."))
        resolving = status == IncidentStatus.RESOLVED and incident.status != IncidentStatus.RESOLVED
        held = incident.notices_held_by_id is not None
        follow_up = public and not held and not resolving and incident.status == IncidentStatus.RESOLVED
        update = IncidentUpdate.objects.create(
            incident=incident,
            status=status,
            body=body,
            body_html=render_markdown(body),
            is_public=public,
            is_first_notice=public and not held and incident.first_notice_at is None,
            is_follow_up=follow_up,
            held_back=public and held,
            author=actor,
            created_at=now,
        )
        _record(incident, actor, EventKind.UPDATE, at=now, update=update, data={"from": incident.status, "to": status})
        fields = ["status", "updated_at"]
        incident.status = status
        incident.updated_at = now
        if public:
            incident.last_update_at = now
            fields.append("last_update_at")
        if public and not held:
            if update.is_first_notice:
                incident.first_notice_at = now
                fields.append("first_notice_at")
            _close_deadlines(incident, [DeadlineKind.FIRST_NOTICE, DeadlineKind.UPDATE], now)
            if not resolving and incident.is_open:
                next_update_deadline(incident, now).save()
        if follow_up and _close_deadlines(incident, [DeadlineKind.FOLLOW_UP], now):
            incident.follow_up_at = now
            fields.append("follow_up_at")
        if resolving:
            _resolve(actor, incident, update, now)
            fields += ["resolved_at", "resolution"]
        incident.save(update_fields=fields)
        refresh_due_times([incident.pk])
        if public:
            _reply_on_linked_tickets(actor, incident, update, resolve=resolving)
            transaction.on_commit(lambda: _send_notices_later(update.pk))
    return update


def resolve_incident(actor, incident, *, body, public=True, now=None):
    """Resolve with a resolution text: the last public update of the incident (see post_update)."""
    return post_update(actor, incident, body=body, status=IncidentStatus.RESOLVED, public=public, now=now)


def _resolve(actor, incident, update, now):
    incident.resolved_at = now
    incident.resolution = update.body
    _close_deadlines(incident, [DeadlineKind.RESOLUTION], now)
    _close_deadlines(incident, [DeadlineKind.FIRST_NOTICE, DeadlineKind.UPDATE], now, met=False)
    # Customers never told of an incident held back by maintenance are owed no follow-up either.
    if incident.notices_held_by_id is None:
        _deadline(incident, DeadlineKind.FOLLOW_UP, now, incident.terms["follow_up"]).save()
    # Components go back to operational unless another open incident still holds them, or back to
    # maintenance when a window in progress covers them.
    held = IncidentComponent.objects.filter(incident__status__in=OPEN_INCIDENT_STATUSES).exclude(incident=incident)
    mine = Component.objects.filter(
        pk__in=IncidentComponent.objects.filter(incident=incident).values("component")
    ).exclude(pk__in=held.values("component"))
    maintained = MaintenanceWindow.objects.in_progress().values("components")
    mine.exclude(pk__in=maintained).update(status=ComponentStatus.OPERATIONAL, status_changed_at=now)
    mine.filter(pk__in=maintained).update(status=ComponentStatus.MAINTENANCE, status_changed_at=now)
    _record(incident, actor, EventKind.RESOLVED, at=now, update=None, data={"update": update.pk})


def _reply_on_linked_tickets(actor, incident, update, *, resolve):
    """Each linked ticket gets the update as a public reply, and is resolved with the resolution text."""
    links = IncidentTicketLink.objects.linked().filter(incident=incident).select_related("ticket__requester")
    # Requesters in an affected organization get this update as a customer notice already
    # (unless maintenance holds the notices back): the reply on their ticket must not mail them twice.
    noticed = set() if (update.held_back or not update.is_public) else _noticed_organizations(incident)
    for link in links:
        ticket = link.ticket
        if ticket.status not in OPEN_STATUSES and not resolve:
            continue
        text = _("Update on %(ref)s · %(title)s:\n\n%(body)s") % {
            "ref": incident.ref,
            "title": incident.title,
            "body": update.body,
        }
        told = noticed is ALL or ticket.requester.organization_id in noticed
        ticket_services.reply_to_ticket(actor, ticket, body=text, notify=not told)
        if resolve and ticket.status in OPEN_STATUSES:
            ticket_services.update_ticket(actor, Ticket.objects.get(pk=ticket.pk), status=Status.RESOLVED)


ALL = object()


def _noticed_organizations(incident):
    """The organizations whose customers receive the incident's notices: ALL, or a set of ids."""
    if incident.all_organizations:
        return ALL
    return set(incident.organizations.values_list("pk", flat=True))


def _send_notices_later(update_id):
    from django_q.tasks import async_task

    try:
        async_task("incidents.tasks.send_update_notices", update_id, task_name=f"incident-notices-{update_id}")
    except Exception:  # a broker that is down must not fail the update; the cadence sweep re-drives it
        logger.exception("Could not enqueue the notices of incident update %s; the sweep will", update_id)


# --- linked tickets -------------------------------------------------------------------------


def link_ticket(actor, incident, ticket, *, now=None):
    """Link a ticket by hand (or link again one that was unlinked or only offered)."""
    now = now or timezone.now()
    with transaction.atomic():
        link, created = IncidentTicketLink.objects.get_or_create(
            incident=incident,
            ticket=ticket,
            defaults={"state": LinkState.LINKED, "linked_by": actor, "linked_at": now, "created_at": now},
        )
        if not created and link.state != LinkState.LINKED:
            link.state, link.linked_by, link.linked_at = LinkState.LINKED, actor, now
            link.unlinked_at = link.unlinked_by = None
            link.save(update_fields=["state", "linked_by", "linked_at", "unlinked_at", "unlinked_by"])
        elif not created:
            return link
        _record(incident, actor, EventKind.TICKET_LINKED, at=now, data={"ticket": ticket.ref})
    return link


def accept_offer(actor, link, *, now=None):
    if link.state != LinkState.OFFERED:
        raise IncidentError(_("This ticket is not waiting to be linked."))
    return link_ticket(actor, link.incident, link.ticket, now=now)


def unlink_ticket(actor, link, *, now=None):
    """The ticket no longer follows the incident: no more replies, not resolved with it."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = (
            IncidentTicketLink.objects.filter(pk=link.pk)
            .exclude(state=LinkState.UNLINKED)
            .update(state=LinkState.UNLINKED, unlinked_at=now, unlinked_by=actor)
        )
        if changed:
            _record(link.incident, actor, EventKind.TICKET_UNLINKED, at=now, data={"ticket": link.ticket.ref})
    link.refresh_from_db()
    return link


def offer_ticket(ticket, *, now=None):
    """Offer a new ticket to every open incident it seems to belong to; returns the offers made.

    A ticket matches an open incident that affects its organization (or
    every organization), or whose affected component is named in the
    ticket's subject or description. Offers are made once per pair.
    """
    now = now or timezone.now()
    candidates = Incident.objects.open().filter(
        Q(all_organizations=True) | Q(organizations=ticket.organization_id) | Q(affected__isnull=False)
    )
    text = f"{ticket.subject}\n{ticket.description}".casefold()
    offers = []
    for incident in candidates.distinct().prefetch_related("organizations", "affected__component"):
        names = [a.component.name for a in incident.affected.all() if a.component.name.casefold() in text]
        org_match = incident.all_organizations or any(
            o.pk == ticket.organization_id for o in incident.organizations.all()
        )
        if not (org_match or names):
            continue
        reason = _("mentions %(names)s") % {"names": ", ".join(names)} if names else _("affected organization")
        with transaction.atomic():
            link, created = IncidentTicketLink.objects.get_or_create(
                incident=incident,
                ticket=ticket,
                defaults={
                    "state": LinkState.OFFERED,
                    "auto_offered": True,
                    "offered_reason": reason,
                    "created_at": now,
                },
            )
            if created:
                _record(incident, None, EventKind.TICKET_OFFERED, at=now, data={"ticket": ticket.ref, "reason": reason})
                offers.append(link)
    return offers


# --- maintenance hold, severity changes, closing ---------------------------------------------------


def release_notices(actor, incident, *, now=None):
    """Customer notices of an incident held back by maintenance go out again from now on.

    Called by the commander ("notify customers now") or by the maintenance
    sweep when the window ends. The cadence starts here: the first notice
    (or the next update, if customers already heard) is due one interval
    from now. Customers of an open incident get one catch-up notice with the
    latest public update posted while held (not each of them; see
    `notices.write_catch_up_notices`), written in this transaction so that a
    second release finds nothing to do. The catch-up does not count as the
    first notice: the commander still owes one within the interval. Returns
    False when nothing was held.
    """

    now = now or timezone.now()
    with transaction.atomic():
        released = Incident.objects.filter(pk=incident.pk, notices_held_by__isnull=False).update(
            notices_held_by=None, updated_at=now
        )
        if not released:
            return False
        incident.refresh_from_db()
        data = {"by_sweep": actor is None}
        if incident.is_open:
            if incident.first_notice_at is None:
                _deadline(incident, DeadlineKind.FIRST_NOTICE, now, incident.terms["first_notice"]).save()
            else:
                next_update_deadline(incident, now).save()
            refresh_due_times([incident.pk])
            # After the deadline, so the notice names the time of the next word. A resolved incident is
            # not announced after the fact: the window's completion notice covers it.
            caught_up = write_catch_up_notices(incident, now=now)
            if caught_up is not None:
                data["catch_up_update"] = caught_up.pk
        _record(incident, actor, EventKind.NOTICES_RELEASED, at=now, data=data)
    return True


def change_severity(actor, incident, *, severity, crisis_level=None, now=None):
    """A new severity or crisis level: the cadence terms are recomputed and the open deadlines moved.

    Each pending deadline keeps its start and takes the new interval
    (first notice and update from the new terms; resolution and follow-up
    likewise), so a P3 raised to P1 owes its next update within the P1's
    interval from the last one. A deadline already past under the new terms
    is missed by the next sweep, as it would have been.
    """
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise IncidentError(_("Only an open incident can change severity."))
        before = (incident.severity, incident.crisis_level)
        if before == (severity, crisis_level or None):
            return incident
        old_terms = incident.terms
        incident.severity, incident.crisis_level = severity, crisis_level or None
        incident.terms = cadence_terms(severity, crisis_level)
        incident.updated_at = now
        incident.save(update_fields=["severity", "crisis_level", "terms", "updated_at"])
        for deadline in CadenceDeadline.objects.pending().filter(incident=incident):
            start = deadline.due_at - timedelta(minutes=old_terms[deadline.kind])
            fresh = _deadline(incident, deadline.kind, start, incident.terms[deadline.kind])
            CadenceDeadline.objects.filter(pk=deadline.pk).update(
                due_at=fresh.due_at, warn_at=fresh.warn_at, warned_at=None
            )
        refresh_due_times([incident.pk])
        _record(
            incident,
            actor,
            EventKind.SEVERITY_CHANGED,
            at=now,
            data={
                "from": {"severity": before[0], "crisis_level": before[1]},
                "to": {"severity": severity, "crisis_level": crisis_level or None},
            },
        )
    return incident


REVIEW_REQUIRED_UP_TO = 2  # P1 and P2 need a completed post-incident review before closing


def close_incident(actor, incident, *, now=None):
    """Close a resolved incident; a P1 or P2 only once its post-incident review is completed."""
    from .models import PostIncidentReview

    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.closed_at is not None:
            return incident
        if incident.status != IncidentStatus.RESOLVED:
            raise IncidentError(_("Resolve the incident before closing it."))
        if incident.severity <= REVIEW_REQUIRED_UP_TO:
            review = PostIncidentReview.objects.filter(incident=incident).first()
            if review is None or review.completed_at is None:
                raise IncidentError(
                    _("A %(severity)s incident can be closed only after its post-incident review is completed.")
                    % {"severity": incident.severity_code}
                )
        incident.closed_at, incident.closed_by, incident.updated_at = now, actor, now
        incident.save(update_fields=["closed_at", "closed_by", "updated_at"])
        _record(incident, actor, EventKind.CLOSED, at=now)
    return incident

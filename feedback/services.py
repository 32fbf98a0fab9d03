"""Feedback actions: inviting, answering, opting out, reminding, and quality review.

Inviting is set-wise: candidates come from one query, invitations are
bulk-inserted with `ignore_conflicts`, and the unique constraints on
`Invitation` decide who was really invited, so a job or a signal that runs
twice asks nobody twice. Only the hash of a link's token is stored; the
token itself exists only in the email written to the outbox in the same
transaction.
"""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.services import queue_emails
from helpdesk.models import EventKind, Priority, Role, Status, SweepLease, Ticket, User, hash_token
from helpdesk.timeline import record_event

from . import emails
from .models import (
    SCORE_RANGES,
    FeedbackTheme,
    Invitation,
    NpsRun,
    QualityReview,
    Response,
    ReviewCriterion,
    ReviewItem,
    ReviewReason,
    ReviewScore,
    SurveyKind,
    SurveyOptOut,
    SurveySettings,
)

REVIEWER_ROLES = (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN)
OPTIONAL_RATINGS = ("speed", "clarity", "effectiveness", "professionalism")
LOW_CSAT = 2  # CSAT at or below this is negative and goes to review
NPS_DETRACTOR = 6  # NPS at or below this is a detractor


class SurveyRefused(Exception):
    """The answer cannot be taken; `status` is the HTTP status the page should carry."""

    def __init__(self, message, *, status=410, code="refused"):
        super().__init__(message)
        self.status = status
        self.code = code


class NotAllowed(Exception):
    pass


def new_token():
    return secrets.token_urlsafe(32)


def _not_opted_out(person_path="pk"):
    return ~Exists(SurveyOptOut.objects.filter(person_id=OuterRef(person_path)))


def _name(first, last, username):
    return f"{first} {last}".strip() or username


def _write_invitations(pending, *, now, reminder=False):
    """Insert the invitations of `pending` (dicts: invitation, token, values) and queue their emails.

    Rows the unique constraints refuse are skipped; only the invitations that
    exist afterwards with our token's hash get an email.
    """
    if not pending:
        return 0
    Invitation.objects.bulk_create([item["invitation"] for item in pending], ignore_conflicts=True)
    mine = set(
        Invitation.objects.filter(token_hash__in=[item["invitation"].token_hash for item in pending]).values_list(
            "token_hash", "pk"
        )
    )
    ids = dict(mine)
    _queue_survey_emails(pending, ids, now=now, reminder=reminder)
    return len(ids)


def _queue_survey_emails(pending, ids, *, now, reminder):
    templates = emails.templates_for({item["invitation"].kind for item in pending})
    rows = []
    for item in pending:
        invitation = item["invitation"]
        pk = ids.get(invitation.reminder_token_hash if reminder else invitation.token_hash)
        if pk is None:
            continue
        subject, body = emails.render_invitation(
            kind=invitation.kind,
            token=item["token"],
            language=invitation.language,
            values=item["values"],
            template=templates.get(invitation.kind),
            expires_at=invitation.expires_at,
            reminder=reminder,
        )
        rows.append(
            {
                "key": f"survey:{pk}:{'reminder' if reminder else 'invitation'}",
                "to": item["email"],
                "subject": subject,
                "body": body,
                "recipient_user_id": invitation.person_id,
                "reference": item["values"].get("ticket_ref", ""),
            }
        )
    queue_emails(rows)


# --- after a resolution -------------------------------------------------------------------


def invite_after_resolution(ticket_ids, *, now=None):
    """Invite the requesters of newly resolved tickets to rate them; returns how many were invited.

    Chat tickets (or any channel listed in the settings) get a thumbs up/down,
    others a CSAT survey. A ticket is surveyed at most `csat_per_ticket` times
    however often it is reopened and resolved again: the round number is the
    count so far plus one, and (kind, ticket, round) is unique.
    """
    config = SurveySettings.current()
    if not config.csat_enabled or not ticket_ids:
        return 0
    now = now or timezone.now()
    rows = (
        Ticket.objects.filter(
            pk__in=list(ticket_ids),
            status__in=[Status.RESOLVED, Status.CLOSED],
            requester__role=Role.CUSTOMER,
            requester__is_active=True,
        )
        .exclude(requester__email="")
        .filter(_not_opted_out("requester_id"))
        .annotate(
            rounds=Count(
                "survey_invitations", filter=Q(survey_invitations__kind__in=[SurveyKind.CSAT, SurveyKind.PULSE])
            )
        )
        .filter(rounds__lt=config.csat_per_ticket)
        .values(
            "pk",
            "subject",
            "priority",
            "status",
            "channel",
            "rounds",
            "requester_id",
            "requester__email",
            "requester__language",
            "requester__first_name",
            "requester__last_name",
            "requester__username",
            "organization__name",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
        )
        .order_by()
    )
    pulse_channels = set(config.pulse_channels or [])
    expires = now + timedelta(days=config.link_days)
    pending = []
    site = settings.FIRSTLINE_SITE_URL
    for row in rows:
        token = new_token()
        ref = Ticket.ref_for(row["pk"])
        kind = SurveyKind.PULSE if row["channel"] in pulse_channels else SurveyKind.CSAT
        pending.append(
            {
                "token": token,
                "email": row["requester__email"],
                "invitation": Invitation(
                    kind=kind,
                    person_id=row["requester_id"],
                    ticket_id=row["pk"],
                    round=row["rounds"] + 1,
                    channel=row["channel"],
                    language=row["requester__language"] or "en",
                    token_hash=hash_token(token),
                    created_at=now,
                    expires_at=expires,
                ),
                "values": {
                    "customer_name": _name(
                        row["requester__first_name"], row["requester__last_name"], row["requester__username"]
                    ),
                    "organization": row["organization__name"],
                    "ticket_ref": ref,
                    "ticket_subject": row["subject"],
                    "ticket_url": f"{site}{reverse('portal:ticket-detail', args=[ref])}",
                    "agent_name": _name(
                        row["assignee__first_name"] or "", row["assignee__last_name"] or "", row["assignee__username"]
                    )
                    if row["assignee__username"]
                    else "",
                    "priority": str(Priority(row["priority"]).label),
                    "status": str(Status(row["status"]).label),
                },
            }
        )
    with transaction.atomic():
        return _write_invitations(pending, now=now)


def withdraw_after_reopening(ticket_ids, *, now=None):
    """A reopened ticket's unanswered survey links stop working; returns how many were withdrawn.

    The customer should not rate a ticket that is not resolved any more.
    The invitation expires now, so its link answers "expired" and no
    reminder follows; it still counts towards `csat_per_ticket`, which keeps
    the promise that resolving, reopening and resolving again never sends
    more than the configured number of invitations (with the default of one,
    the ticket is not surveyed again). One UPDATE: running it twice changes nothing.
    """
    if not ticket_ids:
        return 0
    now = now or timezone.now()
    return Invitation.objects.filter(
        ticket_id__in=list(ticket_ids),
        kind__in=[SurveyKind.CSAT, SurveyKind.PULSE],
        answered_at__isnull=True,
        expires_at__gt=now,
    ).update(expires_at=now)


def in_review_sample(ticket_id, percent):
    """Whether a ticket falls in the random review sample: a hash of its id, so every run agrees."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"review-sample:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10000 < percent * 100


def queue_reviews_after_resolution(ticket_ids, *, now=None):
    """Escalated tickets, and a deterministic sample of the others, join the review queue."""
    config = SurveySettings.current()
    now = now or timezone.now()
    rows = Ticket.objects.filter(pk__in=list(ticket_ids)).values_list(
        "pk", "escalation_count", "assignee_id", "queue__team_id"
    )
    items = []
    for pk, escalations, agent_id, team_id in rows:
        if escalations:
            reason = ReviewReason.ESCALATED
        elif in_review_sample(pk, config.review_sample_percent):
            reason = ReviewReason.SAMPLE
        else:
            continue
        items.append(ReviewItem(ticket_id=pk, reason=reason, agent_id=agent_id, team_id=team_id, created_at=now))
    ReviewItem.objects.bulk_create(items, ignore_conflicts=True)
    return len(items)


# --- answering ----------------------------------------------------------------------------------


def refusal_for(invitation, now):
    """Why this invitation cannot be answered now, or None."""
    if invitation.answered_at is not None:
        return SurveyRefused(_("This survey has already been answered. Thank you!"), status=410, code="answered")
    if invitation.is_expired(now):
        return SurveyRefused(_("This survey link has expired."), status=410, code="expired")
    return None


def check_answerer(user, invitation):
    """The token decides who answers: someone else signed in may not answer for the person."""
    if user is not None and user.is_authenticated and user.pk != invitation.person_id:
        raise SurveyRefused(
            _("This survey was sent to someone else. Sign out to answer it from their link."),
            status=403,
            code="someone_else",
        )


def classify(comment, language):
    """The first active theme (by position) with a keyword in the comment, or None."""
    text = (comment or "").casefold()
    if not text.strip():
        return None
    suffix = (language or "en").replace("-", "_")
    for theme in FeedbackTheme.objects.filter(is_active=True):
        words = f"{getattr(theme, f'keywords_{suffix}', '') or ''},{theme.keywords_en or ''}"
        if any(word.strip().casefold() in text for word in words.split(",") if word.strip()):
            return theme
    return None


def answer_survey(actor, invitation, *, score, comment="", now=None, **ratings):
    """Record the one answer an invitation allows, log it on the ticket and queue negative ones for review.

    Refused (SurveyRefused, nothing changes) when the invitation was already
    answered, has expired, belongs to someone other than a signed-in actor, or
    the score is out of range. The answered-at stamp is set by a conditional
    UPDATE, so two clicks at once record one answer.
    """
    now = now or timezone.now()
    check_answerer(actor, invitation)
    low, high = SCORE_RANGES[invitation.kind]
    if score is None or not low <= int(score) <= high:
        raise SurveyRefused(_("Choose an answer first."), status=400, code="score")
    ratings = {name: ratings.get(name) for name in OPTIONAL_RATINGS if invitation.kind == SurveyKind.CSAT}
    for value in ratings.values():
        if value is not None and not 1 <= int(value) <= 5:
            raise SurveyRefused(_("Ratings go from 1 to 5."), status=400, code="rating")
    comment = (comment or "").strip()[:4000]
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True, expires_at__gt=now).update(
            answered_at=now
        )
        if not claimed:
            invitation.refresh_from_db()
            raise refusal_for(invitation, now) or SurveyRefused(_("This survey cannot be answered."))
        ticket = None
        dims = {}
        if invitation.ticket_id:
            ticket = Ticket.objects.select_related("organization", "queue").get(pk=invitation.ticket_id)
            dims = {
                "agent_id": ticket.assignee_id,
                "team_id": ticket.queue.team_id if ticket.queue_id else None,
                "tier_id": ticket.organization.tier_id,
                "category_id": ticket.category_id,
                "channel": ticket.channel,
            }
        else:
            person = User.objects.select_related("organization").get(pk=invitation.person_id)
            dims = {"tier_id": person.organization.tier_id if person.organization_id else None}
        response = Response.objects.create(
            invitation=invitation,
            kind=invitation.kind,
            person_id=invitation.person_id,
            ticket=ticket,
            score=int(score),
            comment=comment,
            theme=classify(comment, invitation.language),
            language=invitation.language,
            created_at=now,
            **{name: (int(v) if v is not None else None) for name, v in ratings.items()},
            **dims,
        )
        if ticket is not None:
            record_event(
                ticket,
                invitation.person if actor is None or not actor.is_authenticated else actor,
                EventKind.SURVEY_ANSWERED,
                data={
                    "survey": invitation.kind,
                    "survey_label": str(SurveyKind(invitation.kind).label),
                    "score": int(score),
                    "score_label": score_label(invitation.kind, int(score)),
                    "comment": comment[:500],
                    "response_id": response.pk,
                },
                at=now,
            )
        _queue_negative_for_review(response, now)
    return response


def score_label(kind, score):
    if kind == SurveyKind.PULSE:
        return "👍" if score else "👎"
    return f"{score}/{SCORE_RANGES[kind][1]}"


def _queue_negative_for_review(response, now):
    reason = None
    ticket_id = response.ticket_id
    if response.kind == SurveyKind.CSAT and response.score <= LOW_CSAT:
        reason = ReviewReason.LOW_CSAT
    elif response.kind == SurveyKind.PULSE and not response.score:
        reason = ReviewReason.THUMBS_DOWN
    elif response.kind == SurveyKind.NPS and response.score <= NPS_DETRACTOR and response.comment:
        reason = ReviewReason.DETRACTOR
        # An NPS answer has no ticket: the person's latest resolved one is what a reviewer reads.
        ticket_id = (
            Ticket.objects.filter(requester_id=response.person_id, is_open=0)
            .order_by("-resolved_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
    if reason is None or ticket_id is None:
        return
    # A ticket already waiting (say, as part of the sample) is re-labelled with the stronger reason.
    upgraded = ReviewItem.objects.filter(ticket_id=ticket_id, reviewed_at__isnull=True).update(
        reason=reason, response=response
    )
    if not upgraded:
        ticket = Ticket.objects.filter(pk=ticket_id).values("assignee_id", "queue__team_id").first()
        ReviewItem.objects.bulk_create(
            [
                ReviewItem(
                    ticket_id=ticket_id,
                    reason=reason,
                    response=response,
                    agent_id=ticket["assignee_id"],
                    team_id=ticket["queue__team_id"],
                    created_at=now,
                )
            ],
            ignore_conflicts=True,
        )


# --- opting out ---------------------------------------------------------------------------------


def opt_out(actor, person, *, invitation=None, now=None):
    """Stop surveying `person`: every open invitation of theirs is marked and no job picks them again."""
    if actor is not None and actor.is_authenticated and actor.pk != person.pk:
        raise SurveyRefused(_("Only the person surveyed can opt out."), status=403, code="someone_else")
    now = now or timezone.now()
    with transaction.atomic():
        SurveyOptOut.objects.get_or_create(person=person, defaults={"created_at": now})
        Invitation.objects.filter(person=person, answered_at__isnull=True, opted_out_at__isnull=True).update(
            opted_out_at=now
        )
        if invitation is not None:
            Invitation.objects.filter(pk=invitation.pk, opted_out_at__isnull=True).update(opted_out_at=now)


def set_survey_preference(actor, person, *, receive):
    """The portal preference: receive surveys or not."""
    if actor.pk != person.pk:
        raise NotAllowed(_("You can only change your own preferences."))
    if receive:
        SurveyOptOut.objects.filter(person=person).delete()
    else:
        opt_out(actor, person)


def wants_surveys(person):
    return not SurveyOptOut.objects.filter(person=person).exists()


# --- scheduled jobs -----------------------------------------------------------------------------


def _hold_lease(name):
    """Serialise two runs of one job (the second waits, then finds nothing left to do)."""
    SweepLease.objects.get_or_create(name=name)
    SweepLease.objects.select_for_update().get(name=name)


def send_reminders(*, now=None):
    """One reminder for each open invitation older than the setting, with a fresh link of its own.

    The first link keeps working; the reminder's token hash goes into its own
    column. Selected by state (not reminded, not answered, not opted out, not
    expired) and stamped in the same transaction, so a second run sends nothing.
    """
    config = SurveySettings.current()
    if not config.reminder_after_days:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        _hold_lease("feedback-reminders")
        due = (
            Invitation.objects.filter(
                answered_at__isnull=True,
                reminded_at__isnull=True,
                opted_out_at__isnull=True,
                created_at__lte=now - timedelta(days=config.reminder_after_days),
                expires_at__gt=now,
            )
            .filter(_not_opted_out("person_id"))
            .select_related("person", "person__organization", "ticket", "ticket__assignee")
            .order_by()
        )
        pending = []
        site = settings.FIRSTLINE_SITE_URL
        for invitation in due:
            token = new_token()
            invitation.reminder_token_hash = hash_token(token)
            invitation.reminded_at = now
            values = {
                "customer_name": invitation.person.display_name,
                "organization": invitation.person.organization.name if invitation.person.organization_id else "",
            }
            ticket = invitation.ticket
            if ticket is not None:
                values.update(
                    {
                        "ticket_ref": ticket.ref,
                        "ticket_subject": ticket.subject,
                        "ticket_url": f"{site}{ticket.get_portal_url()}",
                        "agent_name": ticket.assignee.display_name if ticket.assignee_id else "",
                    }
                )
            pending.append(
                {"token": token, "email": invitation.person.email, "invitation": invitation, "values": values}
            )
        if not pending:
            return 0
        Invitation.objects.bulk_update([item["invitation"] for item in pending], ["reminder_token_hash", "reminded_at"])
        ids = {item["invitation"].reminder_token_hash: item["invitation"].pk for item in pending}
        _queue_survey_emails(pending, ids, now=now, reminder=True)
        return len(pending)


def nps_period(today, months):
    """The first day of the NPS period `today` falls in, and of the one before it."""
    index = (today.year * 12 + today.month - 1) // months * months
    start = date(index // 12, index % 12 + 1, 1)
    before = index - months
    return start, date(before // 12, before % 12 + 1, 1)


def send_nps_surveys(*, now=None):
    """The NPS send-out of the current period, once: returns how many people were invited.

    Candidates are chosen in one query: active customers with an email, not
    opted out, with a ticket opened in the previous period, and no NPS
    invitation in the last `nps_min_gap_days`. The period's `NpsRun` row and
    the unique (kind, person, period) make any later run send nothing.
    """
    config = SurveySettings.current()
    if not config.nps_enabled:
        return 0
    now = now or timezone.now()
    start, previous = nps_period(timezone.localdate(now), config.nps_every_months)
    period = start.isoformat()
    with transaction.atomic():
        _hold_lease("feedback-nps")
        if NpsRun.objects.filter(period=period).exists():
            return 0
        window = (
            timezone.make_aware(timezone.datetime.combine(previous, timezone.datetime.min.time())),
            timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time())),
        )
        had_ticket = Ticket.objects.filter(
            requester_id=OuterRef("pk"), created_at__gte=window[0], created_at__lt=window[1]
        )
        asked_lately = Invitation.objects.filter(
            person_id=OuterRef("pk"),
            kind=SurveyKind.NPS,
            created_at__gt=now - timedelta(days=config.nps_min_gap_days),
        )
        people = (
            User.objects.filter(role=Role.CUSTOMER, is_active=True)
            .exclude(email="")
            .filter(Exists(had_ticket), ~Exists(asked_lately), _not_opted_out("pk"))
            .values_list("pk", "email", "language", "first_name", "last_name", "username", "organization__name")
            .order_by()
        )
        expires = now + timedelta(days=config.link_days)
        pending = []
        for pk, email, language, first, last, username, organization in people:
            token = new_token()
            pending.append(
                {
                    "token": token,
                    "email": email,
                    "invitation": Invitation(
                        kind=SurveyKind.NPS,
                        person_id=pk,
                        period=period,
                        language=language or "en",
                        token_hash=hash_token(token),
                        created_at=now,
                        expires_at=expires,
                    ),
                    "values": {"customer_name": _name(first, last, username), "organization": organization or ""},
                }
            )
        invited = _write_invitations(pending, now=now)
        NpsRun.objects.create(period=period, ran_at=now, invited=invited)
    return invited


# --- quality review ---------------------------------------------------------------------------


def is_reviewer(user):
    return user.is_authenticated and user.is_active and user.role in REVIEWER_ROLES


def submit_review(actor, item, *, scores, notes=""):
    """A reviewer scores a queued ticket against the active checklist; the item leaves the queue.

    `scores` maps criterion ids to values (1–5, or 1 pass / 0 fail). Every
    active criterion must be scored. A second review of the same item is refused.
    """
    if not is_reviewer(actor):
        raise NotAllowed(_("Only team leads and managers review tickets."))
    criteria = list(ReviewCriterion.objects.filter(is_active=True))
    missing = [c.name for c in criteria if scores.get(c.pk) is None]
    if missing:
        raise NotAllowed(_("Score every line of the checklist: %(names)s.") % {"names": ", ".join(missing)})
    for criterion in criteria:
        value = int(scores[criterion.pk])
        allowed = (0, 1) if criterion.scale == "pass_fail" else range(1, 6)
        if value not in allowed:
            raise NotAllowed(_("%(name)s: that score is not on the scale.") % {"name": criterion.name})
    now = timezone.now()
    percent = sum(c.percent(int(scores[c.pk])) for c in criteria) / len(criteria) if criteria else 100.0
    with transaction.atomic():
        claimed = ReviewItem.objects.filter(pk=item.pk, reviewed_at__isnull=True).update(reviewed_at=now)
        if not claimed:
            raise NotAllowed(_("This ticket has already been reviewed."))
        review = QualityReview.objects.create(
            item=item,
            ticket_id=item.ticket_id,
            reviewer=actor,
            agent_id=item.agent_id,
            team_id=item.team_id,
            percent=round(percent, 2),
            notes=(notes or "").strip()[:4000],
            created_at=now,
        )
        ReviewScore.objects.bulk_create(
            ReviewScore(review=review, criterion=c, value=int(scores[c.pk])) for c in criteria
        )
    return review


def reclassify_comments():
    """Sort every comment into themes again, set-wise: one UPDATE per theme keyword, in theme order.

    Themes are cleared first; each keyword then claims the comments still
    without a theme that contain it (in that comment's language or English),
    so the lowest position wins as it does for a new answer.
    """
    from django.conf import settings as django_settings

    changed = 0
    with transaction.atomic():
        Response.objects.exclude(theme=None).update(theme=None)
        for theme in FeedbackTheme.objects.filter(is_active=True):
            for code, _label in django_settings.LANGUAGES:
                words = (getattr(theme, f"keywords_{code.replace('-', '_')}", "") or "").split(",")
                # English keywords apply to every comment, as in `classify`; the others to their language.
                same_language = Q() if code == "en" else Q(language=code)
                for word in filter(None, (w.strip() for w in words)):
                    changed += Response.objects.filter(
                        same_language, theme__isnull=True, comment__icontains=word
                    ).update(theme=theme)
    return changed

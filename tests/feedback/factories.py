"""Feedback rows for tests: invitations with a known token, answers, review items."""

from datetime import timedelta

import factory
from django.utils import timezone

from feedback.models import Invitation, Response, ReviewItem, SurveyKind
from helpdesk.models import hash_token
from tests.helpdesk.factories import CustomerFactory, TicketFactory


class InvitationFactory(factory.django.DjangoModelFactory):
    """`token` is the raw token the link would carry; only its hash is stored."""

    class Meta:
        model = Invitation
        exclude = ("token",)

    kind = SurveyKind.CSAT
    ticket = factory.SubFactory(TicketFactory, resolved=True)
    person = factory.LazyAttribute(lambda i: i.ticket.requester if i.ticket else CustomerFactory())
    token = factory.Sequence(lambda n: f"test-token-{n:04d}-abcdefghijklmnop")
    token_hash = factory.LazyAttribute(lambda i: hash_token(i.token))
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda i: i.created_at + timedelta(days=14))

    class Params:
        nps = factory.Trait(kind=SurveyKind.NPS, ticket=None, period="2026-01-01")


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    invitation = factory.SubFactory(InvitationFactory, answered_at=factory.LazyFunction(timezone.now))
    kind = factory.LazyAttribute(lambda r: r.invitation.kind)
    person = factory.LazyAttribute(lambda r: r.invitation.person)
    ticket = factory.LazyAttribute(lambda r: r.invitation.ticket)
    score = 4
    created_at = factory.LazyFunction(timezone.now)


class ReviewItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewItem

    ticket = factory.SubFactory(TicketFactory, resolved=True)
    reason = "sample"
    agent = factory.LazyAttribute(lambda i: i.ticket.assignee)

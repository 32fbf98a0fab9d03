import factory
from django.utils import timezone

from helpdesk.models import (
    Category,
    Message,
    Organization,
    Queue,
    Role,
    ServiceTier,
    Team,
    Ticket,
    TicketEvent,
    User,
)


class ServiceTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTier
        django_get_or_create = ("name",)

    name = "Standard"
    rank = 30
    first_response_minutes = 240
    allowed_channels = ["email", "web"]


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    tier = factory.SubFactory(ServiceTierFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = "Frontline"


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("name",)

    name = "General"
    team = factory.SubFactory(TeamFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Person"
    password = factory.django.Password("demo")


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    organization = factory.SubFactory(OrganizationFactory)


class AgentFactory(UserFactory):
    role = Role.AGENT
    support_level = 1
    team = factory.SubFactory(TeamFactory)
    languages = ["en"]

    class Params:
        manager = factory.Trait(role=Role.MANAGER, is_staff=True)
        lead = factory.Trait(role=Role.TEAM_LEAD)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    requester = factory.SubFactory(CustomerFactory)
    organization = factory.LazyAttribute(lambda t: t.requester.organization)
    subject = factory.Sequence(lambda n: f"Printer {n} is on fire")
    description = "It started this morning."
    queue = factory.SubFactory(QueueFactory)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)

    class Params:
        waiting = factory.Trait(status="waiting")
        resolved = factory.Trait(status="resolved", resolved_at=factory.LazyFunction(timezone.now))
        closed = factory.Trait(status="closed", resolved_at=factory.LazyFunction(timezone.now))


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message
        skip_postgeneration_save = True

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda m: m.ticket.requester)
    body = "Any news?"

    @factory.post_generation
    def with_event(obj, create, extracted, **kwargs):
        if create:
            TicketEvent.objects.create(
                ticket=obj.ticket,
                actor=obj.author,
                kind="note" if obj.is_internal else "replied",
                message=obj,
                is_public=not obj.is_internal,
                created_at=obj.created_at,
            )

"""Access functions: the only way views obtain protected objects.

Each raises Http404 for anything the user may not see, so a customer cannot
even learn whether another organization's ticket exists.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from comms.models import PortalNotification

from .models import Attachment, Ticket, ref_to_pk


def agent_required(view):
    """Signed-in staff only; everyone else gets 404 (customers too)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agent:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view):
    """Signed-in customers only; staff are sent to 404 here, not to someone's portal."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_customer or request.user.organization_id is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def get_ticket_for_agent(user, ref, queryset=None):
    pk = ref_to_pk(ref)
    if pk is None:
        raise Http404
    queryset = queryset if queryset is not None else Ticket.objects.with_detail()
    return get_object_or_404(queryset.for_agent(user), pk=pk)


def get_ticket_for_customer(user, ref, queryset=None):
    pk = ref_to_pk(ref)
    if pk is None:
        raise Http404
    queryset = queryset if queryset is not None else Ticket.objects.with_portal_detail()
    return get_object_or_404(queryset.for_customer(user), pk=pk)


def get_attachment_for_user(user, pk):
    """An attachment is visible to agents, and to a customer who may see its ticket
    (see TicketQuerySet.for_customer) when its message is public."""
    attachment = get_object_or_404(Attachment.objects.select_related("message__ticket"), pk=pk)
    message = attachment.message
    if user.is_agent:
        return attachment
    if not message.is_internal and message.ticket.is_visible_to_customer(user):
        return attachment
    raise Http404


def get_notification_for_customer(user, pk):
    """A portal notification of this customer's own; anyone else's is a 404."""
    return get_object_or_404(PortalNotification.objects.for_user(user.pk), pk=pk)

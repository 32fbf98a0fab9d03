"""Maintenance windows in the agent workspace: the list, scheduling one, and its page (reschedule, cancel, finish).

Plain pages without JavaScript (POST redirects); asked by HTMX, the
window's actions answer with the `maintenance-body` partial and announce
`maintenanceChanged`.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from helpdesk.access import agent_required

from . import maintenance
from .forms import MaintenanceForm, WindowTimesForm
from .models import MaintenanceWindow

DETAIL = "incidents/maintenancewindow_detail.html"


def get_window_for_agent(user, pk):
    return get_object_or_404(MaintenanceWindow.objects.with_list_columns(), pk=pk)


@agent_required
@require_GET
def maintenance_list(request):
    windows = MaintenanceWindow.objects.with_list_columns().order_by("-starts_at", "-pk")[:100]
    return render(request, "incidents/maintenancewindow_list.html", {"windows": windows, "now": timezone.now()})


@agent_required
@require_http_methods(["GET", "POST"])
def maintenance_create(request):
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            window = maintenance.schedule_maintenance(
                request.user,
                **{k: data[k] for k in ("title", "starts_at", "ends_at", "components", "description")},
                expected_impact=data["expected_impact"],
                all_organizations=data["all_organizations"],
                organizations=data["organizations"],
            )
        except maintenance.MaintenanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Maintenance “%(title)s” scheduled.") % {"title": window.title})
            return redirect(window)
    return render(request, "incidents/maintenancewindow_form.html", {"form": form})


def _context(window, times_form=None):
    return {
        "window": window,
        "events": window.events.select_related("actor"),
        "organizations": window.organizations.all(),
        "times_form": times_form
        or WindowTimesForm(
            initial={"starts_at": timezone.localtime(window.starts_at), "ends_at": timezone.localtime(window.ends_at)}
        ),
    }


@agent_required
@require_GET
def maintenance_detail(request, pk):
    window = get_window_for_agent(request.user, pk)
    template = f"{DETAIL}#maintenance-body" if request.htmx and not request.htmx.boosted else DETAIL
    response = render(request, template, _context(window))
    response["Vary"] = "HX-Request"
    return response


@agent_required
@require_POST
def maintenance_action(request, pk):
    """Reschedule, cancel or finish early, told apart by the button's name."""
    window = get_window_for_agent(request.user, pk)
    form = None
    try:
        if "reschedule" in request.POST:
            form = WindowTimesForm(request.POST)
            if form.is_valid():
                maintenance.reschedule_maintenance(request.user, window, **form.cleaned_data)
                messages.success(request, _("Maintenance rescheduled."))
                form = None
        elif "cancel" in request.POST:
            maintenance.cancel_maintenance(request.user, window)
            messages.success(request, _("Maintenance cancelled."))
        elif "finish" in request.POST:
            maintenance.finish_maintenance(request.user, window)
            messages.success(request, _("Maintenance finished."))
    except maintenance.MaintenanceError as exc:
        messages.error(request, str(exc))
    if not request.htmx:
        return redirect(window)
    window = get_window_for_agent(request.user, pk)
    response = render(request, f"{DETAIL}#maintenance-body", _context(window, form))
    trigger_client_event(response, "maintenanceChanged", {"id": window.pk})
    return response

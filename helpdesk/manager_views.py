"""The manager's SLA dashboard and its CSV export.

The filters live in the URL: the form is a plain GET that HTMX turns into a
swap of the dashboard body (and a pushed URL). The figures come from
`helpdesk.reports`, a fixed number of queries at any volume.
"""

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import reports
from .agent_views import _dual, _wants_fragment
from .forms_manager import DEFAULT_PERIOD, DashboardFilterForm
from .models import ClockTarget, Priority, Role

TEMPLATE = "helpdesk/manager/dashboard.html"
MANAGER_ROLES = (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN)


def manager_required(view):
    """Signed-in team leads, managers and admins only; everyone else gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role not in MANAGER_ROLES or not request.user.is_active:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request):
    """The form and the report filters from the query string; rejected fields are flashed and ignored."""
    choices = reports.filter_choices()
    data = request.GET.copy()
    if not data.get("period"):
        data["period"] = DEFAULT_PERIOD  # so the menu shows the period the figures are for
    form = DashboardFilterForm(data, **choices)
    if not form.is_valid():
        for message in form.error_messages():
            messages.warning(request, message)
    return form, form.filters(timezone.now()), choices


@manager_required
@require_GET
def dashboard(request):
    form, filters, choices = _filters(request)
    report = reports.dashboard(filters, **choices)
    context = {
        "form": form,
        "filters": filters,
        "report": report,
        "breakdowns": _breakdowns(report["compliance"]),
        "backlog_total": sum(bar.count for bar in report["backlog"]),
        "targets": ClockTarget.choices,
        "target_labels": dict(ClockTarget.choices),
        # Reversed once per page rather than once per row.
        "detail_prefix": reverse("helpdesk:ticket-detail", args=["-"]).removesuffix("-/"),
        "priority_labels": dict(Priority.choices),
    }
    if _wants_fragment(request):
        body = render_to_string(f"{TEMPLATE}#dashboard-body", context, request)
        return _dual(HttpResponse(body + render_to_string("includes/messages.html", request=request)))
    return _dual(render(request, TEMPLATE, context))


AGENT_CHART_LIMIT = 20


def _breakdowns(compliance):
    titles = {
        "priority": (_("By priority"), _("Priority")),
        "tier": (_("By tier"), _("Tier")),
        "team": (_("By team"), _("Team")),
        "agent": (_("By agent"), _("Agent")),
    }
    result = []
    for key, rows in compliance.items():
        shown, hidden = rows, 0
        if key == "agent" and len(rows) > AGENT_CHART_LIMIT:
            # The busiest agents by measured targets, still in name order; the CSV lists everyone.
            busiest = sorted(rows, key=lambda row: -(row.first_response.whole + row.resolution.whole))
            keep = {id(row) for row in busiest[:AGENT_CHART_LIMIT]}
            shown = [row for row in rows if id(row) in keep]
            hidden = len(rows) - len(shown)
        result.append({"key": key, "title": titles[key][0], "column": titles[key][1], "rows": shown, "hidden": hidden})
    return result


# --- CSV -------------------------------------------------------------------------------


@manager_required
@require_GET
def export(request):
    section = request.GET.get("section", "compliance")
    if section not in SECTIONS:
        raise Http404
    _form, filters, choices = _filters(request)
    header, rows = SECTIONS[section](filters, choices)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime(filters.start):%Y%m%d}-{timezone.localtime(filters.end):%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="firstline-{section}-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response


def _cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @) is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _percent(rate):
    return None if rate.percent is None else round(rate.percent, 1)


def _compliance_csv(filters, choices):
    by = reports.compliance(filters, **choices)
    header = [
        _("Breakdown"),
        _("Group"),
        _("First response met"),
        _("First response breached"),
        _("First response compliance (%)"),
        _("Resolution met"),
        _("Resolution breached"),
        _("Resolution compliance (%)"),
    ]
    names = {"priority": _("Priority"), "tier": _("Tier"), "team": _("Team"), "agent": _("Agent")}
    rows = [
        [
            names[dimension],
            row.label,
            row.first_response.part,
            row.first_response.whole - row.first_response.part,
            _percent(row.first_response),
            row.resolution.part,
            row.resolution.whole - row.resolution.part,
            _percent(row.resolution),
        ]
        for dimension, group in by.items()
        for row in group
    ]
    return header, rows


def _times_csv(filters, choices):
    times = reports.response_times(filters)
    header = [_("Measure"), _("Count"), _("Median (minutes)"), _("90th percentile (minutes)")]
    names = {"first_response": _("First response"), "resolution": _("Resolution")}

    def minutes(value):
        return None if value is None else round(value.total_seconds() / 60, 1)

    return header, [[names[key], s.count, minutes(s.median), minutes(s.p90)] for key, s in times.items()]


def _breaches_csv(filters, choices):
    header = [_("Ticket"), _("Subject"), _("Target"), _("Cycle"), _("Due"), _("Breached"), _("Level at breach")]
    targets = dict(ClockTarget.choices)
    rows = [
        [
            clock.ticket.ref,
            clock.ticket.subject,
            targets.get(clock.target, clock.target),
            clock.cycle,
            timezone.localtime(clock.due_at).isoformat(),
            timezone.localtime(clock.breached_at).isoformat(),
            clock.get_breached_level_display() if clock.breached_level else "",
        ]
        for clock in reports.latest_breaches(filters)
    ]
    return header, rows


def _breach_levels_csv(filters, choices):
    header = [_("Level"), _("Breaches"), *(str(label) for _value, label in ClockTarget.choices)]
    return header, [[row["bar"].label, row["bar"].count, *row["targets"]] for row in reports.breaches_by_level(filters)]


def _backlog_csv(filters, choices):
    return [_("Age"), _("Open tickets")], [[bar.label, bar.count] for bar in reports.backlog_by_age(filters)]


def _rates_csv(filters, choices):
    figures = reports.rates(filters)
    names = {
        "escalation": _("Escalation rate"),
        "reopen": _("Reopen rate"),
        "first_contact": _("First-contact resolution"),
    }
    header = [_("Measure"), _("Tickets"), _("Out of"), _("Rate (%)")]
    return header, [[names[key], rate.part, rate.whole, _percent(rate)] for key, rate in figures.items()]


def _load_csv(filters, choices):
    return [_("Agent"), _("Open tickets")], [[bar.label, bar.count] for bar in reports.agent_load(filters)]


SECTIONS = {
    "compliance": _compliance_csv,
    "times": _times_csv,
    "breaches": _breaches_csv,
    "breach-levels": _breach_levels_csv,
    "backlog": _backlog_csv,
    "rates": _rates_csv,
    "load": _load_csv,
}

"""The SLA dashboard's filters: a period (preset or dates), team, tier and priority.

Bad input never makes an error page: an invalid field drops out of
`cleaned_data` (the view tells the manager it was ignored) and its default
applies.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Priority
from .reports import Filters

PERIODS = {"7": _("Last 7 days"), "30": _("Last 30 days"), "90": _("Last 90 days")}
DEFAULT_PERIOD = "30"
# Longer explicit ranges are refused: every figure is a pass over the period's rows.
MAX_RANGE = timedelta(days=366)


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=list(PERIODS.items()), required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Dates, when given, replace the period."),
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int, required=False, empty_value=None)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority"))] + Priority.choices,
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, teams, tiers, **kwargs):
        """`teams` and `tiers` are (id, name) pairs read once by the view, which also labels the reports with them."""
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("Any team")), *teams]
        self.fields["tier"].choices = [("", _("Any tier")), *tiers]

    def clean(self):
        data = super().clean()
        start = data.get("start")
        if start is None:
            return data
        # A start date alone runs to today.
        end = data.get("end") or timezone.localdate()
        if start > end:
            error = ValidationError(_("The start date must not be after the end date."), code="date_order")
        elif end - start > MAX_RANGE:
            error = ValidationError(_("Choose a range of at most a year."), code="date_range")
        else:
            return data
        data.pop("start", None)
        data.pop("end", None)
        raise error

    def filters(self, now=None):
        """The valid part of the input as report filters; call after is_valid()."""
        data = self.cleaned_data
        now = now or timezone.now()
        days = int(data.get("period") or DEFAULT_PERIOD)
        # Dates are whole days in the manager's time zone; the end date is included.
        end = _midnight(data["end"] + timedelta(days=1)) if data.get("end") else now
        start = _midnight(data["start"]) if data.get("start") else end - timedelta(days=days)
        return Filters(
            start=start,
            end=end,
            now=now,
            team=data.get("team"),
            tier=data.get("tier"),
            priority=data.get("priority"),
        )

    def error_messages(self):
        """One sentence per rejected field, for the flash messages."""
        messages = []
        for name, errors in self.errors.items():
            for error in errors:
                if name == forms.forms.NON_FIELD_ERRORS:
                    messages.append(_("%(error)s The dates were ignored.") % {"error": error})
                else:
                    messages.append(
                        _("%(field)s: %(error)s The filter was ignored.")
                        % {"field": self.fields[name].label, "error": error}
                    )
        return messages


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))

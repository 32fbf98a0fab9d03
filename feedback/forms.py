from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.forms_manager import DashboardFilterForm

from .emails import score_labels
from .models import CriterionScale, SurveyKind
from .services import OPTIONAL_RATINGS

RATING_LABELS = {
    "speed": _("Speed of our response"),
    "clarity": _("Clarity of our communication"),
    "effectiveness": _("Effectiveness of the solution"),
    "professionalism": _("Professionalism of our team"),
}


class SurveyForm(forms.Form):
    """One survey's answer: the score, and for CSAT four optional ratings; always an optional comment."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label=_("Your answer"))
    comment = forms.CharField(
        label=_("Anything you would like to add? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["score"].choices = score_labels(kind)
        self.fields["score"].error_messages["required"] = _("Choose an answer first.")
        if kind == SurveyKind.NPS:
            self.fields["score"].label = _("How likely are you to recommend us? (0 = not at all, 10 = very likely)")
            self.fields["comment"].label = _("Why? (optional)")
        elif kind == SurveyKind.CSAT:
            self.fields["score"].label = _("How satisfied are you with the help you received?")
            for name in OPTIONAL_RATINGS:
                self.fields[name] = forms.TypedChoiceField(
                    label=RATING_LABELS[name],
                    choices=[("", _("No rating")), *[(n, str(n)) for n in range(5, 0, -1)]],
                    coerce=int,
                    empty_value=None,
                    required=False,
                )
        else:
            self.fields["score"].label = _("Was this conversation helpful?")

    def rating_fields(self):
        return [self[name] for name in OPTIONAL_RATINGS if name in self.fields]


class SurveyPreferenceForm(forms.Form):
    receive = forms.BooleanField(label=_("Send me short satisfaction surveys"), required=False)


class FeedbackFilterForm(DashboardFilterForm):
    """The SLA dashboard's filters without priority, with longer periods and a trend unit."""

    PERIODS = {"30": _("Last 30 days"), "90": _("Last 90 days"), "365": _("Last 12 months")}
    unit = forms.ChoiceField(label=_("Trend by"), choices=[("week", _("Week")), ("month", _("Month"))], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["priority"]
        self.fields["period"].choices = list(self.PERIODS.items())


class ReviewForm(forms.Form):
    """The checklist: one field per active criterion, then notes."""

    notes = forms.CharField(label=_("Notes for the agent"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            if criterion.scale == CriterionScale.PASS_FAIL:
                choices = [(1, _("Pass")), (0, _("Fail"))]
            else:
                choices = [(n, str(n)) for n in range(5, 0, -1)]
            self.fields[f"c{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                help_text=criterion.help_text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Score this line.")},
            )
        self.order_fields([f"c{c.pk}" for c in criteria] + ["notes"])

    def scores(self):
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria}

    def criterion_fields(self):
        return [self[f"c{c.pk}"] for c in self.criteria]

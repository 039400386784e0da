"""Forms of the patrol pages: the supervisors' list filter and their decision on a flagged patrol."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Patrol

# The list's filter: each review state by its label, and "all" (the default), awaiting review first.
REVIEW_FILTERS = [("", _("All, awaiting review first")), *[(v, lbl) for v, lbl in Patrol.Review.choices if v]]


class PatrolListFilterForm(forms.Form):
    review = forms.ChoiceField(label=_("Review"), choices=REVIEW_FILTERS, required=False)

    def review_value(self) -> str:
        """The chosen review state, or "" for all (an unknown value is treated as all)."""
        return self.cleaned_data.get("review", "") if self.is_valid() else ""


class PatrolReviewForm(forms.Form):
    """Accept (the patrol counts in evaluation) or reject a flagged patrol; the note says why."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accept", _("Accept: the patrol counts")),
            ("reject", _("Reject: the patrol does not count")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose accept or reject.")},
    )
    note = forms.CharField(
        label=_("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why: the decision is kept with the patrol.")},
    )

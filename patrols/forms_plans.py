"""The patrol plans page's form: one plan (a community's default or a grid's own) set or removed.

The weekly coverage is typed as a percentage, as people say it; the service takes the share (0–1).
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Grid, Jurisdiction

SAVE, CLEAR = "save", "clear"


def target_value(*, grid: Grid | None = None, community: Jurisdiction | None = None) -> str:
    """How the form names a plan's target: "grid:<code>" or "community:<code>"."""
    return f"grid:{grid.code}" if grid is not None else f"community:{community.code}"


class PlanForm(forms.Form):
    target = forms.ChoiceField(label=_("Plan of"))
    minutes_per_day = forms.IntegerField(
        label=_("Patrol minutes per working day"), min_value=0, max_value=1440, required=False
    )
    weekly_coverage = forms.DecimalField(
        label=_("Area to cover each week (percent of the grid)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=1,
        required=False,
    )
    action = forms.ChoiceField(choices=[(SAVE, SAVE), (CLEAR, CLEAR)], initial=SAVE)

    def __init__(self, *args, communities: list[Jurisdiction], grids: list[Grid], **kwargs):
        super().__init__(*args, **kwargs)
        self.targets: dict[str, tuple[Grid | None, Jurisdiction | None]] = {}
        choices = []
        by_community: dict[int, list[Grid]] = {}
        for grid in grids:
            by_community.setdefault(grid.community_id, []).append(grid)
        for community in communities:
            value = target_value(community=community)
            self.targets[value] = (None, community)
            group = [(value, _("%(community)s: default for its grids") % {"community": community.name})]
            for grid in by_community.get(community.pk, []):
                grid_value = target_value(grid=grid)
                self.targets[grid_value] = (grid, None)
                group.append((grid_value, grid.name))
            choices.append((community.name, group))
        self.fields["target"].choices = [("", _("Choose a community or a grid")), *choices]

    def clean(self):
        data = super().clean()
        if data.get("action") == SAVE:
            if data.get("minutes_per_day") is None and "minutes_per_day" not in self.errors:
                self.add_error("minutes_per_day", _("Enter the minutes of patrol per working day."))
            if data.get("weekly_coverage") is None and "weekly_coverage" not in self.errors:
                self.add_error("weekly_coverage", _("Enter the share of the grid to cover each week."))
        return data

    def chosen(self) -> tuple[Grid | None, Jurisdiction | None]:
        return self.targets[self.cleaned_data["target"]]

    def share(self) -> float:
        """The weekly coverage as the service takes it: 0–1."""
        return float(self.cleaned_data["weekly_coverage"] / 100)

"""Admin for work calendars: working hours and dated days."""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin

from .models import CalendarDay, WorkCalendar, WorkingHours
from .services import calendar_make_default, calendar_touch


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    ordering = ("-date",)


class WorkCalendarForm(forms.ModelForm):
    # Not the model field: ticking it makes this calendar the default and un-defaults the previous one
    # (calendar_make_default), which the "one default" constraint would otherwise refuse as a form error.
    make_default = forms.BooleanField(
        label="Default",
        required=False,
        help_text="Deadlines are counted in the default calendar's working time.",
    )

    class Meta:
        model = WorkCalendar
        fields = ("name", "timezone")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].initial = self.instance.is_default

    def clean_make_default(self) -> bool:
        if self.instance.is_default and not self.cleaned_data["make_default"]:
            raise forms.ValidationError(
                "deadlines need a default calendar: make another one the default instead"
            )
        return self.cleaned_data["make_default"]

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        try:
            ZoneInfo(name)
        except (KeyError, ValueError) as exc:
            raise forms.ValidationError(f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai)") from exc
        return name


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    """Working hours and dated days (holidays, 调休 make-up days) edited together; files go through
    `manage.py import_calendar`. Saving reloads the calendar in every process (calendar_touch)."""

    form = WorkCalendarForm
    fields = ("name", "make_default", "timezone")
    list_display = ("name", "is_default", "timezone", "updated_at")
    inlines = (WorkingHoursInline, CalendarDayInline)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data["make_default"] and not obj.is_default:
            calendar_make_default(obj)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        calendar_touch(form.instance)

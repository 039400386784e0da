"""The public site in the admin: notice rules (which step tells whom, both languages side by side, with a
preview), and read-only views of accounts, ratings, followers and grid subscriptions. No contact (an e-mail
address, a phone) nor a link's token is shown here: they are kept encrypted for the notices alone."""

from django import forms
from django.contrib import admin
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cases.workflow import Action

from .follow import PLACEHOLDERS, template_fill, template_unknown
from .models import CaseRating, Follower, GridSubscription, NoticeRule, ResidentAccount

CASE_ACTIONS = sorted(value for name, value in vars(Action).items() if name.isupper())
PLACEHOLDER_LIST = " ".join("{" + name + "}" for name in PLACEHOLDERS)
TEXT_FIELDS = ("subject_zh", "subject_en", "body_zh", "body_en")


def _filled(text, **params):
    """A translated sentence with its parameters, translated when shown (the admin's language)."""
    return lazy(lambda: str(text) % params, str)()


# What the preview fills in: an invented case, in each language.
SAMPLE = {
    "zh": {
        "number": "20260315000123",
        "category": "市容环境 › 暴露垃圾",
        "state": "处理中",
        "place": "东风社区第3网格 · 东风街道",
        "url": "https://example.gov.cn/public/cases/20260315000123/",
        "department": "区环境卫生管理所",
        "rating_url": "https://example.gov.cn/public/rate/…/",
        "unsubscribe_url": "https://example.gov.cn/public/unsubscribe/…/",
    },
    "en": {
        "number": "20260315000123",
        "category": "City appearance › Exposed waste",
        "state": "being handled",
        "place": "Dongfeng grid 3 · Dongfeng street",
        "url": "https://example.gov.cn/public/cases/20260315000123/",
        "department": "District sanitation office",
        "rating_url": "https://example.gov.cn/public/rate/…/",
        "unsubscribe_url": "https://example.gov.cn/public/unsubscribe/…/",
    },
}


class NoticeRuleForm(forms.ModelForm):
    """Refuses a text naming a placeholder there is none of (a typo would reach residents as "{numbre}"),
    an action cases do not have, and a grid audience for anything but a new case."""

    class Meta:
        model = NoticeRule
        fields = ("action", "audience", "channel", "is_active", *TEXT_FIELDS)
        widgets = {
            "subject_zh": forms.TextInput(attrs={"size": 48}),
            "subject_en": forms.TextInput(attrs={"size": 48}),
            "body_zh": forms.Textarea(attrs={"rows": 9, "cols": 48}),
            "body_en": forms.Textarea(attrs={"rows": 9, "cols": 48}),
        }
        help_texts = {
            "action": _filled(
                _("The case step that sends this notice: %(actions)s."), actions=", ".join(CASE_ACTIONS)
            ),
            "body_zh": _filled(_("Placeholders: %(names)s."), names=PLACEHOLDER_LIST),
            "body_en": _filled(_("Placeholders: %(names)s."), names=PLACEHOLDER_LIST),
        }

    def clean_action(self):
        action = (self.cleaned_data.get("action") or "").strip()
        if action not in CASE_ACTIONS:
            raise forms.ValidationError(
                _("“%(action)s” is not a case action; choose one of: %(actions)s."),
                params={"action": action, "actions": ", ".join(CASE_ACTIONS)},
            )
        return action

    def clean(self):
        cleaned = super().clean()
        for name in TEXT_FIELDS:
            unknown = template_unknown(cleaned.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("Unknown placeholder %(unknown)s: use only %(names)s (no other braces)."),
                        params={"unknown": ", ".join(unknown), "names": PLACEHOLDER_LIST},
                    ),
                )
        for name in ("body_zh", "body_en"):
            if cleaned.get(name) and "{unsubscribe_url}" not in cleaned[name]:
                self.add_error(name, _("Every message must end with its unsubscribe link {unsubscribe_url}."))
        if cleaned.get("audience") == NoticeRule.Audience.GRID and cleaned.get("action") not in (
            None,
            "report",
        ):
            self.add_error(
                "audience",
                _("Grid subscribers hear of new public cases only: their rules have the action “report”."),
            )
        return cleaned


@admin.register(NoticeRule)
class NoticeRuleAdmin(admin.ModelAdmin):
    form = NoticeRuleForm
    list_display = ("action", "audience", "channel", "is_active", "subject_zh", "subject_en")
    list_filter = ("action", "audience", "channel", "is_active")
    list_editable = ("is_active",)
    search_fields = ("action", "subject_zh", "subject_en", "body_zh", "body_en")
    readonly_fields = ("preview",)
    fieldsets = (
        (None, {"fields": (("action", "audience", "channel", "is_active"),)}),
        (
            _("Words, Chinese and English side by side"),
            {
                "fields": (("subject_zh", "subject_en"), ("body_zh", "body_en")),
                "description": _filled(
                    _(
                        "Placeholders, filled in when the notice is written: %(names)s. {url} is the case's "
                        "public page, {rating_url} the rating link of a closed case's reporter. A body line "
                        "whose link is empty (a hidden case, no rating) is left out, so give each link its "
                        "own line. Any other braces are refused. Text messages: keep them short."
                    ),
                    names=PLACEHOLDER_LIST,
                ),
            },
        ),
        (_("Preview with an invented case (as saved)"), {"fields": ("preview",)}),
    )

    @admin.display(description=_("preview"))
    def preview(self, rule: NoticeRule):
        if rule is None or rule.pk is None:
            return _("Save the rule to see it filled in.")
        parts = []
        for key, subject, body in (
            ("zh", rule.subject_zh, rule.body_zh),
            ("en", rule.subject_en, rule.body_en),
        ):
            values = SAMPLE[key]
            parts.append(
                (
                    "zh-hans" if key == "zh" else "en",
                    template_fill(subject, values),
                    template_fill(body, values, drop_empty_links=True),
                )
            )
        return format_html(
            '<div style="display:flex;flex-wrap:wrap;gap:1rem">{}</div>',
            format_html_join(
                "",
                '<div lang="{}" style="flex:1 1 20rem;min-width:0"><p><strong>{}</strong></p>'
                '<pre style="white-space:pre-wrap;margin:0">{}</pre></div>',
                parts,
            ),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the services write: seen here, changed only through the site."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ResidentAccount)
class ResidentAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "email_confirmed_at", "phone_confirmed_at", "grid", "verified_at", "created_at")
    list_filter = ("verified_at", "grid")
    list_select_related = ("user", "grid__community")
    search_fields = ("user__username",)
    fields = (
        "user",
        "has_phone",
        "email_confirmed_at",
        "phone_confirmed_at",
        "grid",
        "verified_at",
        "verified_by",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(boolean=True, description=_("phone given"))
    def has_phone(self, account: ResidentAccount) -> bool:
        return bool(account.phone_hash)


@admin.register(CaseRating)
class CaseRatingAdmin(ReadOnlyAdmin):
    list_display = ("case", "rating", "review", "created_at", "reviewed_at")
    list_filter = ("review", "rating")
    list_select_related = ("case",)
    search_fields = ("case__number",)
    fields = (
        "case",
        "rating",
        "comment",
        "created_at",
        "review",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    )
    readonly_fields = fields


@admin.register(Follower)
class FollowerAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "channel", "language", "is_active", "created_at")
    list_filter = ("kind", "channel", "is_active", "language")
    list_select_related = ("case",)
    search_fields = ("case__number",)
    fields = ("case", "kind", "user", "channel", "language", "is_active", "created_at")
    readonly_fields = fields


@admin.register(GridSubscription)
class GridSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("grid", "channel", "language", "confirmed_at", "is_active", "created_at")
    list_filter = ("channel", "is_active", "language")
    list_select_related = ("grid__community",)
    search_fields = ("grid__code", "grid__name")
    fields = ("grid", "channel", "language", "confirmed_at", "is_active", "created_at")
    readonly_fields = fields

"""The resident account forms: what people type, checked field by field before a service of public.accounts
runs (which checks again). Passwords follow Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from gridmgmt.sorting import natural_key
from grids.models import Grid

from .accounts import MAX_NAME


class _PasswordPair(forms.Form):
    """A new password, typed twice."""

    password1 = forms.CharField(max_length=128, strip=False)
    password2 = forms.CharField(max_length=128, strip=False)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, self.password_user())
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def password_user(self):
        return None


class SignupForm(_PasswordPair):
    contact = forms.CharField(max_length=254)
    display_name = forms.CharField(max_length=MAX_NAME, required=False)


class LoginForm(forms.Form):
    identifier = forms.CharField(max_length=254)
    password = forms.CharField(max_length=128, strip=False)


class PhoneCodeForm(forms.Form):
    phone = forms.CharField(max_length=40)
    code = forms.CharField(max_length=20, required=False)


class ResetRequestForm(forms.Form):
    contact = forms.CharField(max_length=254)


class ResetCodeForm(_PasswordPair):
    phone = forms.CharField(max_length=40)
    code = forms.CharField(max_length=20)


class SetPasswordForm(_PasswordPair):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self):
        return self.user


class RegistryLinkForm(forms.Form):
    grid = forms.ModelChoiceField(queryset=Grid.objects.all(), empty_label=None)
    full_name = forms.CharField(max_length=MAX_NAME)
    id_number = forms.CharField(max_length=40)


def grid_choices() -> list[tuple[int, str]]:
    """Every grid by name (with its community, for two grids of one name), in natural order."""
    rows = Grid.objects.select_related("community").only("id", "name", "community__name")
    labeled = [(g.pk, f"{g.name} · {g.community.name}" if g.community_id else g.name) for g in rows]
    return sorted(labeled, key=lambda row: natural_key(row[1]))

"""REST serializers for the resident registry: explicit input serializers per operation, masked outputs.

No output serializer here can carry a clear name, ID number or phone: they read the masked values only.
The one clear value the API ever sends is the reveal's, built in the view from the logged service call.
"""

from rest_framework import serializers

from gridmgmt.api import CodeRefSerializer, TextField
from gridmgmt.errors import DomainError

from .. import pii
from ..models import Resident, ResidentAccessLog

CARE_TAGS_HELP = (
    f"Care tag codes ({', '.join(Resident.CareTag.values)}); the Chinese terms of the import files "
    "(独居老人, 残疾人, 留守儿童, 低保户, 退役军人) are accepted too."
)


def _optional_text(*, max_length: int, help_text: str) -> TextField:
    return TextField(max_length=max_length, required=False, allow_blank=True, help_text=help_text)


# --- input: the list's filters ---------------------------------------------------------------------------


class ResidentFilterSerializer(serializers.Serializer):
    grid = TextField(max_length=40, required=False, help_text="14-digit grid code")
    care_tag = serializers.ChoiceField(choices=Resident.CareTag.choices, required=False)
    moved_out = serializers.BooleanField(required=False, allow_null=True)
    id_number = TextField(max_length=40, required=False)

    def validate_id_number(self, value: str) -> str:
        # A malformed number could never match: say why instead of answering with an empty page.
        try:
            return pii.id_number_validate(value).number
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None


# --- input: writes ----------------------------------------------------------------------------------------


class ResidentCreateInputSerializer(serializers.Serializer):
    grid = TextField(max_length=40, help_text="Code of one of the caller's grids")
    name = TextField(max_length=50, help_text="Full name (stored encrypted)")
    id_number = TextField(
        max_length=40,
        help_text="18-character citizen ID number (GB 11643, check character per ISO 7064 MOD 11-2); "
        "stored encrypted, with a keyed hash for uniqueness. Gender and birth date are taken from it.",
    )
    phone = _optional_text(
        max_length=30, help_text="Mobile (13812345678) or landline (0791-86123456); stored encrypted"
    )
    address = TextField(max_length=200)
    household_no = _optional_text(max_length=30, help_text="Household register number")
    moved_in_on = serializers.DateField(help_text="Not in the future, nor before the birth date")
    care_tags = serializers.ListField(
        child=TextField(max_length=40), required=False, max_length=20, help_text=CARE_TAGS_HELP
    )


class ResidentUpdateInputSerializer(serializers.Serializer):
    """Only the fields sent change. A blank `phone` removes the number."""

    grid = TextField(max_length=40, required=False, help_text="Move to another of the caller's grids")
    name = TextField(max_length=50, required=False)
    id_number = TextField(max_length=40, required=False, help_text="A corrected ID number")
    phone = _optional_text(max_length=30, help_text="Mobile or landline; blank removes it")
    address = TextField(max_length=200, required=False)
    household_no = _optional_text(max_length=30, help_text="Household register number")
    moved_in_on = serializers.DateField(required=False)
    care_tags = serializers.ListField(
        child=TextField(max_length=40), required=False, max_length=20, help_text=CARE_TAGS_HELP
    )


class ResidentMoveOutInputSerializer(serializers.Serializer):
    moved_out_on = serializers.DateField(
        required=False, help_text="Default today; not in the future, nor before the moved-in date"
    )


class ResidentRevealInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=ResidentAccessLog.Field.choices,
        help_text="The field to see in clear. Every reveal is written to the resident's access log.",
    )


# --- output -----------------------------------------------------------------------------------------------


class ResidentSerializer(serializers.Serializer):
    """A resident with every identity field masked. The full birth date is left out on purpose: with it,
    the masked ID number (first 4 and last 4 characters) would leave only a few candidates."""

    id = serializers.IntegerField(read_only=True)
    grid = CodeRefSerializer(read_only=True)
    name_masked = serializers.SerializerMethodField(help_text="e.g. 张*明")
    id_number_masked = serializers.CharField(read_only=True, help_text="e.g. 3601**********123X")
    phone_masked = serializers.SerializerMethodField(help_text="e.g. 138****5678; null without a phone")
    gender = serializers.ChoiceField(choices=Resident.Gender.choices, read_only=True)
    birth_year = serializers.IntegerField(source="birth_date.year", read_only=True)
    household_no = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    care_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=Resident.CareTag.choices), read_only=True
    )
    moved_in_on = serializers.DateField(read_only=True)
    moved_out_on = serializers.DateField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_name_masked(self, resident: Resident) -> str:
        return pii.mask_name(resident.name)

    def get_phone_masked(self, resident: Resident) -> str | None:
        return resident.phone_masked or None


class ResidentDetailSerializer(ResidentSerializer):
    can_edit = serializers.SerializerMethodField(
        help_text="The caller may update the resident or move them out"
    )
    can_reveal = serializers.SerializerMethodField(
        help_text="The caller may reveal fields (each reveal logged)"
    )

    def get_can_edit(self, resident: Resident) -> bool:
        return self.context["can_edit"]

    def get_can_reveal(self, resident: Resident) -> bool:
        return self.context["can_reveal"]


class ResidentRevealSerializer(serializers.Serializer):
    resident = serializers.IntegerField(read_only=True, help_text="The resident's id")
    field = serializers.ChoiceField(choices=ResidentAccessLog.Field.choices, read_only=True)
    value = serializers.CharField(read_only=True, help_text="The clear value (empty when none is recorded)")


class ResidentCountSerializer(serializers.Serializer):
    grid = CodeRefSerializer(read_only=True, source="*")
    current = serializers.IntegerField(read_only=True, help_text="Residents who have not moved out")
    moved_out = serializers.IntegerField(read_only=True, help_text="Residents recorded as moved out")

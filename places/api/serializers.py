"""REST serializers for the base data: explicit input serializers per operation, masked outputs.

Inputs check shapes only (types, lengths, known codes); the rules (a building's grid follows its point, an
address is registered once, a credit code's check character, …) are places.services', which every write
goes through. No output here carries a clear personal value: occupants are residents and show their masked
name only; an organisation's legal representative and contact are write-only and read back masked.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from departments.models import Department
from gridmgmt.api import CodeRefSerializer, CoordinateField, TextField
from gridmgmt.errors import DomainError
from grids import pii
from grids.models import Grid

from ..models import Building, Facility, FacilityClass, House, Occupancy, Organisation

MAX_ID = 2**63 - 1  # the largest id a database column holds: beyond it a lookup would overflow


# --- shared pieces ----------------------------------------------------------------------------------------


@extend_schema_field({"type": "string"})
class CodeLookupField(serializers.Field):
    """Input: the code of a row of `queryset` (a grid, a department, a major facility class) → that row;
    an unknown code is a 400 naming it."""

    default_error_messages = {
        "invalid": "give a {what} code",
        "does_not_exist": "there is no {what} with code {value}",
    }

    def __init__(self, *, queryset, what: str, max_length: int = 20, **kwargs):
        self.queryset = queryset
        self.what = what
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if (
            not isinstance(data, str)
            or not data.isascii()
            or not data.isalnum()
            or len(data) > self.max_length
        ):
            self.fail("invalid", what=self.what)
        found = self.queryset.filter(code=data).first()
        if found is None:
            self.fail("does_not_exist", what=self.what, value=data)
        return found

    def to_representation(self, value):
        return value.code


def _grid_field(**kwargs) -> CodeLookupField:
    kwargs.setdefault("help_text", "14-digit grid code")
    return CodeLookupField(queryset=Grid.objects.all(), what="grid", max_length=14, **kwargs)


def _department_field(**kwargs) -> CodeLookupField:
    return CodeLookupField(
        queryset=Department.objects.filter(is_active=True),
        what="department",
        max_length=40,
        **{"help_text": "Code of an active department (departments/)", **kwargs},
    )


def _optional_text(*, max_length: int, help_text: str) -> TextField:
    return TextField(max_length=max_length, required=False, allow_blank=True, help_text=help_text)


def _id_field(*, help_text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=help_text, **kwargs)


class RefSerializer(serializers.Serializer):
    """Output: a base-data row by id, with its address."""

    id = serializers.IntegerField(read_only=True)
    address = serializers.CharField(read_only=True)


# --- input: the lists' filters ----------------------------------------------------------------------------


class BuildingFilterSerializer(serializers.Serializer):
    grid = _grid_field(required=False)
    q = TextField(max_length=100, required=False, help_text="Part of the address")


class HouseFilterSerializer(serializers.Serializer):
    grid = _grid_field(required=False)
    building = _id_field(required=False, help_text="A building's id")
    use = serializers.ChoiceField(choices=House.Use.choices, required=False)


class OrganisationFilterSerializer(serializers.Serializer):
    grid = _grid_field(required=False)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, required=False)
    risk = serializers.ChoiceField(choices=Organisation.Risk.choices, required=False)
    q = TextField(max_length=100, required=False, help_text="Part of the name, or the whole credit code")


class FacilityFilterSerializer(serializers.Serializer):
    grid = _grid_field(required=False)
    major = CodeLookupField(
        queryset=FacilityClass.objects.filter(parent__isnull=True),
        what="major facility class",
        max_length=2,
        required=False,
    )
    state = serializers.ChoiceField(choices=Facility.State.choices, required=False)
    department = _department_field(required=False)


# --- input: writes ----------------------------------------------------------------------------------------


class BuildingInputSerializer(serializers.Serializer):
    """Create: every field without a default is required. Update: only the fields sent change."""

    road = TextField(max_length=60, help_text="Road, street or lane (路/街/巷), e.g. 八一大道")
    number = TextField(max_length=20, help_text="Door number on the road (门牌号), e.g. 123")
    name = _optional_text(max_length=40, help_text="Building number or name (楼栋), e.g. 1 or 1栋")
    use = serializers.ChoiceField(choices=Building.Use.choices, default=Building.Use.RESIDENTIAL)
    floors = serializers.IntegerField(min_value=1, max_value=200, default=1)
    units = serializers.IntegerField(min_value=1, max_value=99, default=1, help_text="Units (单元)")
    lat = CoordinateField(limit=90, help_text="Latitude (WGS84); the grid is the one the point lies in")
    lng = CoordinateField(limit=180, help_text="Longitude (WGS84)")
    footprint = serializers.JSONField(
        required=False, allow_null=True, help_text="GeoJSON Polygon (WGS84), optional"
    )


class HouseInputSerializer(serializers.Serializer):
    building = _id_field(help_text="The building's id (create only: a house keeps its building)")
    unit = serializers.IntegerField(
        min_value=1, max_value=99, required=False, allow_null=True, help_text="单元; null when none"
    )
    room = TextField(max_length=20, help_text="Room number as on the door, e.g. 301")
    floor = serializers.IntegerField(
        min_value=-10,
        max_value=200,
        required=False,
        allow_null=True,
        help_text="Negative below ground; read from the room number when not given",
    )
    use = serializers.ChoiceField(choices=House.Use.choices, default=House.Use.OWNER_OCCUPIED)
    area_m2 = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=1,
        max_value=100000,
        required=False,
        allow_null=True,
        help_text="Floor area in m²",
    )


class HouseUpdateInputSerializer(HouseInputSerializer):
    building = None  # a house keeps its building


class OccupancyInputSerializer(serializers.Serializer):
    resident = _id_field(help_text="The resident's id (residents/)")
    relation = serializers.ChoiceField(
        choices=Occupancy.Relation.choices, default=Occupancy.Relation.HEAD, help_text="To the household head"
    )
    population = serializers.ChoiceField(
        choices=Occupancy.Population.choices, default=Occupancy.Population.REGISTERED
    )
    is_tenant = serializers.BooleanField(
        default=False, help_text="True for a tenant (relation tenant implies it)"
    )
    landlord = _id_field(required=False, allow_null=True, help_text="A tenant's landlord: a resident's id")
    since = serializers.DateField(help_text="Moving-in date; the resident's current home ends the day before")


class OccupancyEndInputSerializer(serializers.Serializer):
    until = serializers.DateField(required=False, help_text="Moving-out date; default today")


class OrganisationInputSerializer(serializers.Serializer):
    """Its place is a house, a building or a point (lat, lng): the grid follows from it. Personal fields are
    write-only and stored encrypted; left out, they keep their stored value."""

    name = TextField(max_length=100)
    credit_code = TextField(
        max_length=30,
        help_text="Unified social credit code (统一社会信用代码): 18 characters with the GB 32100 check "
        "character; unique",
    )
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    house = _id_field(required=False, allow_null=True, help_text="The house it is in (its address and point)")
    building = _id_field(required=False, allow_null=True, help_text="The building it is in")
    address = _optional_text(max_length=240, help_text="Written address, when neither house nor building")
    lat = CoordinateField(limit=90, required=False, allow_null=True, help_text="Default: the building's")
    lng = CoordinateField(limit=180, required=False, allow_null=True, help_text="Default: the building's")
    legal_representative = _optional_text(max_length=50, help_text="Write-only; stored encrypted")
    contact_name = _optional_text(max_length=50, help_text="Write-only; stored encrypted")
    contact_phone = _optional_text(
        max_length=30, help_text="Mobile or landline; write-only; stored encrypted"
    )
    employees = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    risk_tags = serializers.ListField(
        child=TextField(max_length=40),
        required=False,
        max_length=10,
        help_text=f"Risk tag codes ({', '.join(Organisation.Risk.values)}); the Chinese terms "
        "(消防安全重点单位, 危险化学品, 人员密集场所) are accepted too",
    )
    next_inspection_on = serializers.DateField(required=False, allow_null=True)

    def validate_contact_phone(self, value: str) -> str:
        # The registry's phone check names its own field (`phone`): here the message belongs to this one.
        try:
            return pii.phone_validate(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None


class FacilityInputSerializer(serializers.Serializer):
    facility_class = TextField(
        max_length=10, help_text="4-digit minor class code (facility-classes/); kept on update"
    )
    lat = CoordinateField(limit=90, help_text="Latitude (WGS84); the grid is the one the point lies in")
    lng = CoordinateField(limit=180, help_text="Longitude (WGS84)")
    name = _optional_text(max_length=100, help_text="A name, if it has one")
    address = _optional_text(max_length=240, help_text="Where it stands")
    owner = _optional_text(max_length=100, help_text="The owning unit (权属单位)")
    department = _department_field(
        required=False, allow_null=True, help_text="Code of the maintaining department: its cases go there"
    )
    state = serializers.ChoiceField(
        choices=Facility.State.choices,
        default=Facility.State.INTACT,
        help_text="What the survey found; while a case on it is open the facility shows the case's state",
    )


class LocateQuerySerializer(serializers.Serializer):
    address = TextField(max_length=200, help_text="Address text, e.g. 东湖区八一大道123号1栋2单元301")


# --- output -----------------------------------------------------------------------------------------------


class BuildingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    grid = CodeRefSerializer(read_only=True)
    road = serializers.CharField(source="road.name", read_only=True)
    number = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="Building number or name (楼栋)")
    address = serializers.CharField(read_only=True, help_text="The standard address, written out")
    use = serializers.ChoiceField(choices=Building.Use.choices, read_only=True)
    floors = serializers.IntegerField(read_only=True)
    units = serializers.IntegerField(read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    footprint = serializers.JSONField(read_only=True, allow_null=True)
    house_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class BuildingDetailSerializer(BuildingSerializer):
    can_edit = serializers.SerializerMethodField(help_text="The caller may change the building")

    def get_can_edit(self, building: Building) -> bool:
        return self.context["can_edit"]


class HouseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    building = RefSerializer(read_only=True)
    grid = CodeRefSerializer(read_only=True)
    unit = serializers.IntegerField(read_only=True, allow_null=True)
    floor = serializers.IntegerField(read_only=True)
    room = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    use = serializers.ChoiceField(choices=House.Use.choices, read_only=True)
    area_m2 = serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False, read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MaskedResidentSerializer(serializers.Serializer):
    """A resident as the base data shows them: the id (for residents/{id}/ and its logged reveal) and the
    masked name, nothing else."""

    id = serializers.IntegerField(read_only=True)
    name_masked = serializers.SerializerMethodField(help_text="e.g. 张*明")

    def get_name_masked(self, resident) -> str:
        return pii.mask_name(resident.name)


class OccupancySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    house = serializers.IntegerField(source="house_id", read_only=True)
    resident = MaskedResidentSerializer(read_only=True)
    relation = serializers.ChoiceField(choices=Occupancy.Relation.choices, read_only=True)
    population = serializers.ChoiceField(choices=Occupancy.Population.choices, read_only=True)
    is_tenant = serializers.BooleanField(read_only=True)
    landlord = MaskedResidentSerializer(read_only=True, allow_null=True)
    since = serializers.DateField(read_only=True)
    until = serializers.DateField(read_only=True, allow_null=True, help_text="null while they live there")


class HouseDetailSerializer(HouseSerializer):
    occupants = OccupancySerializer(
        many=True, read_only=True, help_text="Who lives there now (history: occupancies/)"
    )
    can_edit = serializers.SerializerMethodField(
        help_text="The caller may change the house and who lives there"
    )

    def get_can_edit(self, house: House) -> bool:
        return self.context["can_edit"]


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    credit_code = serializers.CharField(read_only=True, help_text="Unified social credit code, 18 characters")
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, read_only=True)
    grid = CodeRefSerializer(read_only=True)
    house = serializers.IntegerField(source="house_id", read_only=True, allow_null=True)
    building = serializers.IntegerField(source="building_id", read_only=True, allow_null=True)
    address = serializers.CharField(read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    legal_representative_masked = serializers.SerializerMethodField(help_text="e.g. 张*明; null when none")
    contact_name_masked = serializers.SerializerMethodField(help_text="e.g. 李*; null when none")
    contact_phone_masked = serializers.SerializerMethodField(help_text="e.g. 138****5678; null when none")
    employees = serializers.IntegerField(read_only=True)
    risk_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=Organisation.Risk.choices), read_only=True
    )
    next_inspection_on = serializers.DateField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_legal_representative_masked(self, organisation: Organisation) -> str | None:
        return organisation.legal_representative_masked or None

    def get_contact_name_masked(self, organisation: Organisation) -> str | None:
        return organisation.contact_name_masked or None

    def get_contact_phone_masked(self, organisation: Organisation) -> str | None:
        return organisation.contact_phone_masked or None


class OrganisationDetailSerializer(OrganisationSerializer):
    can_edit = serializers.SerializerMethodField(help_text="The caller may change the organisation")

    def get_can_edit(self, organisation: Organisation) -> bool:
        return self.context["can_edit"]


class FacilityClassSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="2 digits for a major class, 4 for a minor one")
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    parent = serializers.CharField(
        source="parent.code",
        read_only=True,
        allow_null=True,
        help_text="The major class's code; null for one",
    )


class FacilitySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(
        read_only=True,
        help_text="CJ/T 214 component code, 16 digits: district (6), major (2), minor (2), serial (6)",
    )
    facility_class = FacilityClassSerializer(read_only=True)
    name = serializers.CharField(read_only=True)
    grid = CodeRefSerializer(read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    address = serializers.CharField(read_only=True)
    owner = serializers.CharField(read_only=True, help_text="The owning unit")
    department = CodeRefSerializer(read_only=True, allow_null=True, help_text="The maintaining department")
    state = serializers.ChoiceField(
        choices=Facility.State.choices, read_only=True, help_text="Follows an open case on the facility"
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class FacilityDetailSerializer(FacilitySerializer):
    open_case_count = serializers.IntegerField(read_only=True, help_text="Cases on the facility still open")
    can_edit = serializers.SerializerMethodField(help_text="The caller may change the facility")

    def get_can_edit(self, facility: Facility) -> bool:
        return self.context["can_edit"]


class LocatedSerializer(serializers.Serializer):
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    grid = CodeRefSerializer(read_only=True)
    address = serializers.CharField(read_only=True, help_text="The standard address that matched")
    building = serializers.IntegerField(
        source="building.pk",
        read_only=True,
        allow_null=True,
        help_text="The building's id; null for a caller who does not read that grid's base data",
    )
    house = serializers.IntegerField(
        source="house.pk",
        read_only=True,
        allow_null=True,
        help_text="The house's id; null for a building, or for a caller not reading that grid's base data",
    )

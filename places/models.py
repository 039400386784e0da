"""The grid's base data: standard addresses (road → number → building → unit → house), who lives where,
organisations (实有单位) and city facilities (部件, CJ/T 214).

Everything here hangs from a grid; a building's grid follows from its location point through the grid
layer's spatial index (grids.selectors.grid_locate) and is checked on every write (places.services).
Address text is never compared as typed: `address_key` holds its normal form (places.addresses), so the
variants people write resolve to one row.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grids import pii
from grids.models import ImportJob


class Road(models.Model):
    """A road, street or lane (路/街/巷) of a district: the first level of a standard address below it."""

    district = models.ForeignKey("grids.Jurisdiction", on_delete=models.PROTECT, related_name="roads")
    name = models.CharField(max_length=60)
    key = models.CharField(max_length=60, help_text="normal form of the name (places.addresses)")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "key"], name="unique_road_per_district")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) at a standard address: road, door number and building number."""

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("residential")
        COMMERCIAL = "commercial", _("commercial")
        MIXED = "mixed", _("mixed use")
        PUBLIC = "public", _("public")
        OTHER = "other", _("other")

    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="buildings")
    road = models.ForeignKey(Road, on_delete=models.PROTECT, related_name="buildings")
    number = models.CharField(max_length=20, help_text="door number on the road (门牌号), e.g. 123号")
    name = models.CharField(max_length=40, blank=True, help_text="building number or name (楼栋), e.g. 1栋")
    address = models.CharField(max_length=200, help_text="the standard address, written out")
    # Normal form of road + number + building (places.addresses.building_key): unique per road, so the same
    # written address in two districts stays two buildings; free-text lookups search it by equality.
    address_key = models.CharField(max_length=200, db_index=True)
    use = models.CharField(max_length=12, choices=Use.choices, default=Use.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField(default=1)
    units = models.PositiveSmallIntegerField(default=1)
    lat = models.FloatField()
    lng = models.FloatField()
    footprint = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon (WGS84), optional")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address_key"]
        constraints = [
            models.UniqueConstraint(fields=["road", "address_key"], name="unique_building_address")
        ]
        indexes = [models.Index(fields=["grid", "address_key"], name="building_grid_idx")]

    def __str__(self) -> str:
        return self.address


class House(models.Model):
    """A house or room (房屋) of a building: unit, floor and room number."""

    class Use(models.TextChoices):
        OWNER_OCCUPIED = "owner", _("owner-occupied")
        RENTED = "rented", _("rented")
        VACANT = "vacant", _("vacant")
        COMMERCIAL = "commercial", _("commercial")

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="houses")
    # The building's grid, kept on the house so grid-wide counts and scopes need no join.
    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="houses")
    unit = models.PositiveSmallIntegerField(null=True, blank=True, help_text="单元; empty when none")
    floor = models.SmallIntegerField(help_text="negative below ground")
    room = models.CharField(max_length=20, help_text="room number as on the door, e.g. 301")
    address = models.CharField(max_length=240)
    # The building's key + unit + room (places.addresses.house_key); unique per building.
    address_key = models.CharField(max_length=240, db_index=True)
    use = models.CharField(max_length=12, choices=Use.choices, default=Use.OWNER_OCCUPIED)
    area_m2 = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address_key"]
        constraints = [
            models.UniqueConstraint(fields=["building", "address_key"], name="unique_house_address")
        ]
        indexes = [models.Index(fields=["grid", "use"], name="house_grid_use_idx")]

    def __str__(self) -> str:
        return self.address


class Occupancy(models.Model):
    """A resident living in a house from `since` until `until` (empty while they live there). Moving ends
    one occupancy and starts another, so a house's history and a resident's addresses are both kept."""

    class Relation(models.TextChoices):
        HEAD = "head", _("household head")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        RELATIVE = "relative", _("other relative")
        TENANT = "tenant", _("tenant")
        OTHER = "other", _("other")

    class Population(models.TextChoices):
        REGISTERED = "registered", _("registered population")  # 户籍人口
        PERMANENT = "permanent", _("permanent population")  # 常住人口
        FLOATING = "floating", _("floating population")  # 流动人口

    resident = models.ForeignKey("grids.Resident", on_delete=models.PROTECT, related_name="occupancies")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="occupancies")
    relation = models.CharField(max_length=10, choices=Relation.choices, default=Relation.HEAD)
    population = models.CharField(max_length=10, choices=Population.choices, default=Population.REGISTERED)
    is_tenant = models.BooleanField(default=False)
    landlord = models.ForeignKey(
        "grids.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="let_occupancies"
    )
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-id"]
        constraints = [
            # One current home per resident: a move closes the old occupancy before opening the new one.
            models.UniqueConstraint(
                fields=["resident"], condition=models.Q(until__isnull=True), name="one_current_home"
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                name="occupancy_until_after_since",
            ),
        ]
        indexes = [models.Index(fields=["house", "until"], name="occupancy_house_idx")]

    def __str__(self) -> str:
        return f"resident {self.resident_id} in house {self.house_id}"


class UnmatchedAddress(models.Model):
    """A resident whose free-text address matched no house when the base data was linked: listed for the
    grid administrator to resolve (link to a house, or dismiss). Nothing is lost: the text stays on the
    resident."""

    resident = models.OneToOneField("grids.Resident", on_delete=models.CASCADE, related_name="unmatched")
    grid = models.ForeignKey("grids.Grid", on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=200)
    reason = models.CharField(max_length=20, help_text="no_match or ambiguous")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grid", "id"]

    def __str__(self) -> str:
        return f"unmatched address of resident {self.resident_id}"


class Organisation(models.Model):
    """A real organisation (实有单位) in a grid, identified by its unified social credit code (GB 32100)."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise")
        SHOP = "shop", _("individual business or shop")
        SCHOOL = "school", _("school")
        HOSPITAL = "hospital", _("hospital")
        SOCIAL = "social", _("social organisation")
        GOVERNMENT = "government", _("government unit")
        OTHER = "other", _("other")

    class Risk(models.TextChoices):
        FIRE_SAFETY = "fire_safety", _("fire-safety key unit")
        HAZARDOUS = "hazardous", _("hazardous chemicals")
        CROWDED = "crowded", _("crowded place")

    name = models.CharField(max_length=100)
    credit_code = models.CharField(max_length=18, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="organisations")
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    house = models.ForeignKey(
        House, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    address = models.CharField(max_length=240)
    lat = models.FloatField()
    lng = models.FloatField()
    # Personal data of the legal representative and the contact, encrypted like resident PII (grids.pii).
    legal_representative_encrypted = models.TextField(blank=True)
    contact_name_encrypted = models.TextField(blank=True)
    contact_phone_encrypted = models.TextField(blank=True)
    employees = models.PositiveIntegerField(default=0)
    risk_tags = models.JSONField(default=list, blank=True, help_text="codes from Organisation.Risk")
    next_inspection_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["grid", "kind"], name="organisation_grid_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def legal_representative_masked(self) -> str:
        return pii.mask_name(pii.decrypt(self.legal_representative_encrypted))

    @property
    def contact_name_masked(self) -> str:
        return pii.mask_name(pii.decrypt(self.contact_name_encrypted))

    @property
    def contact_phone_masked(self) -> str:
        return pii.mask_phone(pii.decrypt(self.contact_phone_encrypted))

    @property
    def risk_labels(self) -> list[str]:
        labels = dict(self.Risk.choices)
        return [str(labels.get(tag, tag)) for tag in self.risk_tags]


class FacilityClass(models.Model):
    """The CJ/T 214 component taxonomy as data: a major class (2 digits, parent empty) and its minor classes
    (4 digits: major + minor). `case_category_code` names the case category a report on such a facility
    takes by default (a case category's code; cases stand above this app, so it is named, not linked)."""

    code = models.CharField(max_length=4, unique=True)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    case_category_code = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facility classes"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        """The class's name in the active language (the taxonomy carries Chinese and English names)."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Facility(models.Model):
    """A city facility (部件): a manhole cover, a street lamp, a litter bin, a hydrant.

    `code` is the standard's 16 digits: the district's 6-digit code, the class's 2-digit major and 2-digit
    minor, a 6-digit serial. `state` is what a survey found; while a case on the facility is open it says
    what the case reports (damaged, missing, occupied), and `surveyed_state` keeps what it returns to.
    """

    class State(models.TextChoices):
        INTACT = "intact", _("intact")
        DAMAGED = "damaged", _("damaged")
        MISSING = "missing", _("missing")
        OCCUPIED = "occupied", _("occupied")

    code = models.CharField(max_length=16, unique=True)
    facility_class = models.ForeignKey(FacilityClass, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=100, blank=True)
    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="facilities")
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(max_length=240, blank=True)
    owner = models.CharField(max_length=100, blank=True, help_text="the owning unit (权属单位)")
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilities",
        help_text="the maintaining department: cases on this facility go to it",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.INTACT)
    surveyed_state = models.CharField(max_length=10, choices=State.choices, default=State.INTACT)
    photo = models.ImageField(upload_to="facilities/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"
        indexes = [
            models.Index(fields=["grid", "state"], name="facility_grid_state_idx"),
            models.Index(fields=["department", "state"], name="facility_department_idx"),
            models.Index(fields=["lat", "lng"], name="facility_point_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class BaseDataImportJob(ImportJob):
    """A base-data file (buildings, houses, occupancies, organisations or facilities) uploaded in the
    browser and imported by a Celery task; the page polls its progress (like grids.ResidentImportJob)."""

    class Kind(models.TextChoices):
        BUILDINGS = "buildings", _("buildings")
        HOUSES = "houses", _("houses")
        OCCUPANCIES = "occupancies", _("occupancies")
        ORGANISATIONS = "organisations", _("organisations")
        FACILITIES = "facilities", _("facilities")

    kind = models.CharField(max_length=14, choices=Kind.choices)
    upload = models.FileField(upload_to="base-data-imports/", blank=True)  # encrypted; deleted once run

    class Meta(ImportJob.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.filename}): {self.status}"

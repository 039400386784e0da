"""Writes to the grid layer, its assignments and the resident registry."""

import re
from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt import policy
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.roles import user_roles
from gridmgmt.text import text_check

from . import pii
from .geometry import area_m2, bbox, to_shape
from .models import Grid, GridAssignment, GridLayerVersion, Jurisdiction, Resident, ResidentAccessLog
from .selectors import grid_index_invalidate

REVEAL_REFUSED = gettext_noop(
    "only the administrators of this resident's grid, or people granted it, may reveal this"
)

_LEVEL_BY_LENGTH = {
    6: Jurisdiction.Level.DISTRICT,
    9: Jurisdiction.Level.STREET,
    12: Jurisdiction.Level.COMMUNITY,
}


# Codes are ASCII digits: str.isdigit() alone also takes "²" and other scripts' digits.
_GRID_CODE = re.compile(r"[0-9]{14}", re.ASCII)


def is_grid_code(value) -> bool:
    """A 14-digit grid code (12 digits of its community, 2 of its own)."""
    return isinstance(value, str) and _GRID_CODE.fullmatch(value) is not None


def jurisdiction_ensure(*, code: str, name: str, boundary: dict | None = None) -> Jurisdiction:
    """Create or update the jurisdiction with this code; its parent is found from the code's prefix."""
    level = _LEVEL_BY_LENGTH.get(len(code))
    if level is None or not (code.isascii() and code.isdigit()):
        raise InvalidInput(
            gettext_noop("%(code)s is not a 6, 9 or 12-digit jurisdiction code"),
            code=repr(code),
            field="code",
        )
    parent = None
    if level != Jurisdiction.Level.DISTRICT:
        parent = Jurisdiction.objects.filter(code=code[: len(code) - 3]).first()
        if parent is None:
            raise InvalidInput(
                gettext_noop("jurisdiction %(code)s has no parent %(parent)s"),
                code=code,
                parent=code[:-3],
                field="code",
            )
    jurisdiction, _ = Jurisdiction.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "boundary": boundary}
    )
    return jurisdiction


@transaction.atomic
def grid_save(*, code: str, name: str, boundary: dict, properties: dict | None = None) -> Grid:
    """Create or replace a grid; its community is the one whose code is the grid code's first 12 digits."""
    if not is_grid_code(code):
        raise InvalidInput(
            gettext_noop("%(code)s is not a 14-digit grid code"), code=repr(code), field="code"
        )
    community = Jurisdiction.objects.filter(code=code[:12], level=Jurisdiction.Level.COMMUNITY).first()
    if community is None:
        raise InvalidInput(
            gettext_noop("grid %(code)s has no community %(community)s"),
            code=code,
            community=code[:12],
            field="code",
        )
    geometry = to_shape(boundary)
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise InvalidInput(
            gettext_noop("grid %(code)s needs a valid Polygon or MultiPolygon"), code=code, field="boundary"
        )
    min_lng, min_lat, max_lng, max_lat = bbox(geometry)
    grid, _ = Grid.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "community": community,
            "boundary": boundary,
            "min_lng": min_lng,
            "min_lat": min_lat,
            "max_lng": max_lng,
            "max_lat": max_lat,
            "area_m2": area_m2(geometry),
            "properties": properties or {},
        },
    )
    grid_layer_bump()
    return grid


def grid_layer_bump() -> None:
    """Mark the grid layer changed (in the caller's transaction): every process rebuilds its index."""
    # changed_at too: queryset updates skip auto_now, and the point index keys on (version, changed_at)
    # because a rolled-back bump hands its version number to a later, different layer.
    if not GridLayerVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now()):
        GridLayerVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    # This process sees its own change at once (same connection), and again for all threads once committed.
    grid_index_invalidate()
    transaction.on_commit(grid_index_invalidate)


def grid_assign(*, grid: Grid, user) -> GridAssignment:
    assignment, _ = GridAssignment.objects.get_or_create(grid=grid, user=user)
    return assignment


def grid_unassign(*, grid: Grid, user) -> bool:
    """Take `grid` away from `user`; False when they did not hold it."""
    deleted, _ = GridAssignment.objects.filter(grid=grid, user=user).delete()
    return deleted > 0


# --- Resident registry ----------------------------------------------------------------------------------
# Every write to a resident goes through these functions, so validation (GB 11643, phone), encryption, the
# keyed hash and the scope check cannot be forgotten. `actor=None` is the system (a management command).

# Care tags may be given as codes, English labels or the Chinese terms grid administrators use.
CARE_TAG_ALIASES = {
    **{code: code for code in Resident.CareTag.values},
    **{label: code for code, label in Resident.CareTag.choices},
    "独居老人": Resident.CareTag.ELDERLY_ALONE,
    "残疾人": Resident.CareTag.DISABILITY,
    "残疾": Resident.CareTag.DISABILITY,
    "留守儿童": Resident.CareTag.LEFT_BEHIND_CHILD,
    "低保户": Resident.CareTag.LOW_INCOME,
    "低保": Resident.CareTag.LOW_INCOME,
    "低收入": Resident.CareTag.LOW_INCOME,
    "退役军人": Resident.CareTag.VETERAN,
}
_TAG_SEPARATORS = re.compile(r"[;,，；、|]")


def _printable(value: str, *, field: str, label) -> str:
    text_check(value, what=label, field=field)
    return value


def resident_name_clean(raw: str) -> str:
    name = _printable((raw or "").strip(), field="name", label=gettext_lazy("the name"))
    if not name:
        raise InvalidInput(gettext_noop("a name is required"), field="name")
    if len(name) > 50:
        raise InvalidInput(gettext_noop("a name has at most 50 characters"), field="name")
    return name


def resident_address_clean(raw: str) -> str:
    address = _printable((raw or "").strip(), field="address", label=gettext_lazy("the address"))
    if not address:
        raise InvalidInput(gettext_noop("an address is required"), field="address")
    if len(address) > 200:
        raise InvalidInput(gettext_noop("an address has at most 200 characters"), field="address")
    return address


def resident_household_clean(raw: str) -> str:
    household = _printable((raw or "").strip(), field="household", label=gettext_lazy("the household number"))
    if len(household) > 30:
        raise InvalidInput(gettext_noop("a household number has at most 30 characters"), field="household")
    return household


def care_tags_clean(raw: str | Iterable[str]) -> list[str]:
    """Care tag codes from a list or a separated string ("独居老人; disability"), deduplicated, in order."""
    items = _TAG_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw or ())
    tags: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        code = CARE_TAG_ALIASES.get(item) or CARE_TAG_ALIASES.get(item.lower())
        if code is None:
            allowed = ", ".join(Resident.CareTag.values)
            raise InvalidInput(
                gettext_noop("unknown care tag %(tag)s (known: %(known)s)"),
                tag=repr(item),
                known=allowed,
                field="care_tags",
            )
        if code not in tags:
            tags.append(str(code))
    return tags


def resident_moved_in_check(moved_in_on: date, *, birth_date: date, today: date | None = None) -> date:
    if moved_in_on > (today or timezone.localdate()):
        raise InvalidInput(gettext_noop("the moved-in date is in the future"), field="moved_in_on")
    if moved_in_on < birth_date:
        raise InvalidInput(
            gettext_noop("the moved-in date is before the birth date in the ID number"), field="moved_in_on"
        )
    return moved_in_on


def _resident_edit_check(actor, grid_id: int) -> None:
    if actor is not None and not policy.can_edit_resident_in(actor, grid_id):
        raise NotAllowed(gettext_noop("you may keep the registry of your own grids only"))


def resident_create(
    *,
    actor,
    grid: Grid,
    name: str,
    id_number: str,
    address: str,
    moved_in_on: date,
    phone: str = "",
    household_no: str = "",
    care_tags: str | Iterable[str] = (),
) -> Resident:
    """Register a resident in `grid`; the ID number must be valid and not registered yet."""
    _resident_edit_check(actor, grid.id)
    id_info = pii.id_number_validate(id_number)
    id_hash = pii.hash_id_number(id_info.number)
    resident = Resident(
        grid=grid,
        household_no=resident_household_clean(household_no),
        address=resident_address_clean(address),
        name_encrypted=pii.encrypt(resident_name_clean(name)),
        id_number_encrypted=pii.encrypt(id_info.number),
        id_number_hash=id_hash,
        phone_encrypted=pii.encrypt(pii.phone_validate(phone)),
        gender=id_info.gender,
        birth_date=id_info.birth_date,
        moved_in_on=resident_moved_in_check(moved_in_on, birth_date=id_info.birth_date),
        care_tags=care_tags_clean(care_tags),
    )
    if Resident.objects.filter(id_number_hash=id_hash).exists():
        raise InvalidInput(_ID_TAKEN, field="id_number")
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:  # registered by someone else between the check and the insert
        raise InvalidInput(_ID_TAKEN, field="id_number") from None
    return resident


_ID_TAKEN = gettext_noop("this ID number is already registered")
_UPDATABLE = ("grid", "name", "id_number", "phone", "address", "household_no", "moved_in_on", "care_tags")


def resident_update(*, actor, resident: Resident, **changes) -> Resident:
    """Change some of a resident's fields (keys from _UPDATABLE); moving to another grid needs both grids."""
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise InvalidInput(gettext_noop("cannot change %(fields)s"), fields=", ".join(sorted(unknown)))
    _resident_edit_check(actor, resident.grid_id)
    fields: list[str] = []
    if "grid" in changes and changes["grid"].id != resident.grid_id:
        _resident_edit_check(actor, changes["grid"].id)
        resident.grid = changes["grid"]
        fields.append("grid")
    if "name" in changes:
        resident.name_encrypted = pii.encrypt(resident_name_clean(changes["name"]))
        fields.append("name_encrypted")
    if "id_number" in changes:
        id_info = pii.id_number_validate(changes["id_number"])
        id_hash = pii.hash_id_number(id_info.number)
        if id_hash != resident.id_number_hash:
            if Resident.objects.filter(id_number_hash=id_hash).exclude(pk=resident.pk).exists():
                raise InvalidInput(_ID_TAKEN, field="id_number")
            resident.id_number_encrypted = pii.encrypt(id_info.number)
            resident.id_number_hash = id_hash
            resident.gender = id_info.gender
            resident.birth_date = id_info.birth_date
            fields += ["id_number_encrypted", "id_number_hash", "gender", "birth_date"]
    if "phone" in changes:
        resident.phone_encrypted = pii.encrypt(pii.phone_validate(changes["phone"]))
        fields.append("phone_encrypted")
    if "address" in changes:
        resident.address = resident_address_clean(changes["address"])
        fields.append("address")
    if "household_no" in changes:
        resident.household_no = resident_household_clean(changes["household_no"])
        fields.append("household_no")
    if "care_tags" in changes:
        resident.care_tags = care_tags_clean(changes["care_tags"])
        fields.append("care_tags")
    if "moved_in_on" in changes:
        resident.moved_in_on = changes["moved_in_on"]
        fields.append("moved_in_on")
    resident_moved_in_check(resident.moved_in_on, birth_date=resident.birth_date)
    if fields:
        try:
            with transaction.atomic():
                resident.save(update_fields=[*fields, "updated_at"])
        except IntegrityError:
            raise InvalidInput(_ID_TAKEN, field="id_number") from None
    return resident


def resident_move_out(*, actor, resident: Resident, moved_out_on: date | None = None) -> Resident:
    """Record that a resident left; the row stays (and keeps its ID number hash) for the record."""
    _resident_edit_check(actor, resident.grid_id)
    moved_out_on = moved_out_on or timezone.localdate()
    if moved_out_on > timezone.localdate():
        raise InvalidInput(gettext_noop("the moved-out date is in the future"), field="moved_out_on")
    if moved_out_on < resident.moved_in_on:
        raise InvalidInput(
            gettext_noop("the moved-out date is before the moved-in date"), field="moved_out_on"
        )
    # Conditional update: if two people record the move at once, the second is told instead of overwriting.
    updated = Resident.objects.filter(pk=resident.pk, moved_out_on__isnull=True).update(
        moved_out_on=moved_out_on, updated_at=timezone.now()
    )
    if updated != 1:
        raise InvalidInput(gettext_noop("this resident has already moved out"), field="moved_out_on")
    resident.moved_out_on = moved_out_on
    return resident


@transaction.atomic
def resident_reveal(
    *, actor, resident: Resident, field: str, ip: str | None = None, forwarded_for: str = ""
) -> str:
    """The clear ID number or phone of a resident, for an allowed actor only; every reveal is logged."""
    if field not in ResidentAccessLog.Field.values:
        raise InvalidInput(gettext_noop("cannot reveal %(what)s"), what=repr(field), field="field")
    basis = policy.resident_reveal_basis(actor, resident)
    if basis is None:
        raise NotAllowed(REVEAL_REFUSED)
    token = (
        resident.id_number_encrypted
        if field == ResidentAccessLog.Field.ID_NUMBER
        else resident.phone_encrypted
    )
    value = pii.decrypt(token)
    roles = sorted(user_roles(actor)) + (["superuser"] if actor.is_superuser else [])
    ResidentAccessLog.objects.create(
        resident=resident,
        user=actor,
        username=actor.get_username(),
        roles=",".join(roles),
        basis=basis,
        field=field,
        ip=ip or None,
        forwarded_for=forwarded_for[:200],
    )
    return value

"""The resident registry: services, scope rules, reveal + access log, encryption at rest, key rotation."""

from datetime import date, timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from gridmgmt import policy
from gridmgmt.errors import InvalidInput, NotAllowed
from grids import pii, services
from grids.models import Resident, ResidentAccessLog

from .resident_factories import id_number, phone, resident

pytestmark = pytest.mark.django_db


def _grant(user, codename: str):
    user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="grids"))
    # Permission and role caches live on the user object: reload it as a new request would.
    return type(user).objects.get(pk=user.pk)


# --- create / update / move out -----------------------------------------------------------------------


def test_it_registers_a_resident_with_derived_gender_and_birth_date(world):
    number = id_number(birth=date(1956, 11, 2), seq=124)
    r = services.resident_create(
        actor=world.gridadmin,
        grid=world.g1,
        name="王芳",
        id_number=number.lower(),
        phone="13912345678",
        address="民德路 3 号",
        household_no="H-7",
        moved_in_on=date(2001, 5, 1),
        care_tags="独居老人; disability",
    )
    r.refresh_from_db()
    assert (r.gender, r.birth_date) == ("F", date(1956, 11, 2))
    assert r.name == "王芳"
    assert r.id_number_masked == f"{number[:4]}**********{number[-4:]}"
    assert r.phone_masked == "139****5678"
    assert r.care_tags == ["elderly_alone", "disability"]
    assert r.id_number_hash == pii.hash_id_number(number)


def test_it_refuses_a_second_registration_of_the_same_id_number(world):
    number = id_number()
    resident(world.g1, id_no=number)
    with pytest.raises(InvalidInput, match="already registered"):
        resident(world.g2, id_no=number.lower() if number.endswith("X") else number)


def test_it_refuses_an_invalid_id_number_with_its_reason(world):
    with pytest.raises(InvalidInput, match="18 characters") as excinfo:
        resident(world.g1, id_no="3601021990030712")
    assert excinfo.value.field == "id_number"


def test_it_refuses_a_bad_phone_and_an_unknown_care_tag(world):
    with pytest.raises(InvalidInput) as excinfo:
        resident(world.g1, phone_no="12345")
    assert excinfo.value.field == "phone"
    with pytest.raises(InvalidInput, match="unknown care tag 'vip'"):
        resident(world.g1, care_tags=["vip"])


def test_it_refuses_a_move_in_before_birth_or_in_the_future(world):
    with pytest.raises(InvalidInput, match="before the birth date"):
        resident(world.g1, id_no=id_number(birth=date(2010, 1, 1)), moved_in_on=date(2009, 12, 31))
    with pytest.raises(InvalidInput, match="in the future"):
        resident(world.g1, moved_in_on=timezone.localdate() + timedelta(days=1))


def test_a_grid_admin_registers_only_in_their_own_grids(world):
    with pytest.raises(NotAllowed):
        services.resident_create(
            actor=world.gridadmin,
            grid=world.g3,
            name="赵六",
            id_number=id_number(),
            address="x",
            moved_in_on=date(2020, 1, 1),
        )


def test_a_grid_admin_cannot_edit_or_move_out_another_grids_resident(world):
    r = resident(world.g3)
    with pytest.raises(NotAllowed):
        services.resident_update(actor=world.gridadmin, resident=r, address="新地址")
    with pytest.raises(NotAllowed):
        services.resident_move_out(actor=world.gridadmin, resident=r)


def test_moving_a_resident_needs_both_grids(world):
    r = resident(world.g1)
    with pytest.raises(NotAllowed):
        services.resident_update(actor=world.gridadmin, resident=r, grid=world.g3)
    services.resident_update(actor=world.gridadmin, resident=r, grid=world.g2)
    r.refresh_from_db()
    assert r.grid_id == world.g2.id


def test_updating_the_id_number_recomputes_hash_gender_and_birth(world):
    r = resident(world.g1, id_no=id_number(birth=date(1980, 1, 1), seq=11))
    new = id_number(birth=date(1981, 2, 3), seq=12)
    services.resident_update(actor=world.gridadmin, resident=r, id_number=new, phone="0791-86123456")
    r.refresh_from_db()
    assert (r.birth_date, r.gender, r.id_number_hash) == (date(1981, 2, 3), "F", pii.hash_id_number(new))
    assert pii.decrypt(r.phone_encrypted) == "0791-86123456"


def test_move_out_is_recorded_once(world):
    r = resident(world.g1, moved_in_on=date(2015, 1, 1))
    services.resident_move_out(actor=world.gridadmin, resident=r, moved_out_on=date(2023, 4, 5))
    r.refresh_from_db()
    assert r.moved_out_on == date(2023, 4, 5)
    with pytest.raises(InvalidInput, match="already moved out"):
        services.resident_move_out(actor=world.gridadmin, resident=r, moved_out_on=date(2023, 4, 6))


def test_move_out_before_move_in_is_refused(world):
    r = resident(world.g1, moved_in_on=date(2015, 1, 1))
    with pytest.raises(InvalidInput, match="before the moved-in date"):
        services.resident_move_out(actor=world.gridadmin, resident=r, moved_out_on=date(2014, 1, 1))


# --- scope rules (gridmgmt.policy) --------------------------------------------------------------------


def test_scope_rules_per_role(world):
    assert policy.resident_grid_scope(world.gridadmin) == {world.g1.id, world.g2.id}
    assert policy.resident_grid_scope(world.other_gridadmin) == {world.g3.id}
    for user in (world.staff, world.dispatcher, world.supervisor, world.resident, world.outsider):
        assert policy.resident_grid_scope(user) == set()
    # Counts: dispatchers and supervisors see every grid's; administrators their own; others none.
    assert policy.resident_count_scope(world.supervisor) is None
    assert policy.resident_count_scope(world.dispatcher) is None
    assert policy.resident_count_scope(world.gridadmin) == {world.g1.id, world.g2.id}
    assert policy.resident_count_scope(world.staff) == set()
    assert policy.resident_count_scope(world.outsider) == set()


def test_a_supervisor_granted_the_view_permission_sees_residents(world):
    supervisor = _grant(world.supervisor, "view_resident")
    assert policy.resident_grid_scope(supervisor) is None
    assert policy.resident_reveal_basis(supervisor, resident(world.g1)) is None  # seeing is not revealing


# --- reveal and the access log ------------------------------------------------------------------------


def test_the_grids_administrator_reveals_and_it_is_logged(world):
    number, mobile = id_number(), phone()
    r = resident(world.g1, id_no=number, phone_no=mobile)
    value = services.resident_reveal(
        actor=world.gridadmin, resident=r, field="id_number", ip="10.1.2.3", forwarded_for="1.2.3.4"
    )
    assert value == number
    assert services.resident_reveal(actor=world.gridadmin, resident=r, field="phone") == mobile
    logs = list(ResidentAccessLog.objects.order_by("id"))
    assert [(log.user_id, log.field, log.basis) for log in logs] == [
        (world.gridadmin.id, "id_number", "grid_admin"),
        (world.gridadmin.id, "phone", "grid_admin"),
    ]
    assert logs[0].ip == "10.1.2.3" and logs[0].forwarded_for == "1.2.3.4"
    assert logs[0].roles == "grid_admin" and logs[0].username == "gridadmin"


@pytest.mark.parametrize(
    "persona", ["other_gridadmin", "dispatcher", "supervisor", "staff", "resident", "outsider"]
)
def test_others_may_not_reveal_and_nothing_is_logged(world, persona):
    r = resident(world.g1)
    with pytest.raises(NotAllowed):
        services.resident_reveal(actor=getattr(world, persona), resident=r, field="id_number")
    assert not ResidentAccessLog.objects.exists()


def test_a_user_granted_the_reveal_permission_may_reveal_and_the_basis_says_so(world):
    supervisor = _grant(world.supervisor, "reveal_resident_pii")
    number = id_number()
    r = resident(world.g3, id_no=number)
    assert services.resident_reveal(actor=supervisor, resident=r, field="id_number") == number
    log = ResidentAccessLog.objects.get()
    assert (log.basis, log.roles) == ("permission", "supervisor")


def test_only_id_number_and_phone_can_be_revealed(world):
    with pytest.raises(InvalidInput):
        services.resident_reveal(actor=world.gridadmin, resident=resident(world.g1), field="name_encrypted")


# --- encryption at rest -------------------------------------------------------------------------------


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names only
        return "\n".join(" | ".join(str(v) for v in row) for row in cursor.fetchall())


def test_raw_sql_shows_no_plaintext_name_id_number_or_phone(world):
    number, mobile = id_number(), "13987654321"
    r = resident(world.g1, name="欧阳娜娜", id_no=number, phone_no=mobile)
    services.resident_reveal(actor=world.gridadmin, resident=r, field="id_number")
    dump = _raw_rows("grids_resident") + _raw_rows("grids_residentaccesslog")
    assert str(r.pk) in dump  # the query did read the rows
    for secret in (number, number.lower(), mobile, "欧阳娜娜", number[6:14] + number[14:]):
        assert secret not in dump
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_encrypted, phone_encrypted FROM grids_resident")
        id_token, phone_token = cursor.fetchone()
    assert pii.decrypt(id_token) == number and pii.decrypt(phone_token) == mobile


def test_a_database_dump_contains_no_id_number_or_phone(world):
    numbers = [id_number() for _ in range(3)]
    phones = [phone() for _ in range(3)]
    for number, mobile in zip(numbers, phones, strict=True):
        resident(world.g2, id_no=number, phone_no=mobile)
    out = StringIO()
    call_command("dumpdata", "grids", stdout=out)
    dump = out.getvalue()
    assert '"model": "grids.resident"' in dump
    for secret in numbers + phones:
        assert secret not in dump


def test_rotate_pii_key_moves_every_row_to_the_new_key(world, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    number, mobile = id_number(), phone()
    r = resident(world.g1, name="刘备", id_no=number, phone_no=mobile)
    resident(world.g2)
    hash_before = r.id_number_hash

    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    out = StringIO()
    call_command("rotate_pii_key", "--batch-size", "1", stdout=out)
    assert "2 residents re-encrypted" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEY = new  # the old key is gone
    r.refresh_from_db()
    assert (r.name, pii.decrypt(r.id_number_encrypted), pii.decrypt(r.phone_encrypted)) == (
        "刘备",
        number,
        mobile,
    )
    assert r.id_number_hash == hash_before  # search and uniqueness still work
    assert Resident.objects.get(id_number_hash=pii.hash_id_number(number)).pk == r.pk


def test_without_rotation_dropping_the_old_key_fails_loudly(world, settings):
    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    r = resident(world.g1)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    r.refresh_from_db()
    with pytest.raises(pii.PiiKeyError, match="rotate_pii_key"):
        _ = r.id_number_masked

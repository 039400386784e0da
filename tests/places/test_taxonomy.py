"""The CJ/T 214 facility taxonomy: its data holds together, the migration loads it, ensuring is idempotent."""

import subprocess
import sys
from pathlib import Path

import pytest

from places import taxonomy
from places.models import FacilityClass

MAJORS = taxonomy.FACILITY_CLASSES
MINORS = [minor for major in MAJORS for minor in major.minors]
ALL_CODES = [major.code for major in MAJORS] + [minor.code for minor in MINORS]


def test_the_six_major_classes_of_the_standard():
    assert [(major.code, major.name) for major in MAJORS] == [
        ("01", "公用设施"),
        ("02", "道路交通"),
        ("03", "市容环境"),
        ("04", "园林绿化"),
        ("05", "房屋土地"),
        ("06", "其他设施"),
    ]


def test_codes_are_unique():
    assert len(ALL_CODES) == len(set(ALL_CODES))


def test_every_minor_code_is_four_digits_starting_with_its_majors():
    for major in MAJORS:
        assert major.minors, f"major class {major.code} has no minor classes"
        for minor in major.minors:
            assert len(minor.code) == 4 and minor.code.isascii() and minor.code.isdigit()
            assert minor.code.startswith(major.code), minor.code
            assert minor.code[2:] != "00"


def test_every_class_has_a_chinese_and_an_english_name():
    for item in (*MAJORS, *MINORS):
        assert item.name and item.name_en, item.code
        assert not item.name.isascii(), item.code


def test_names_fit_the_model_fields():
    for item in (*MAJORS, *MINORS):
        assert len(item.name) <= FacilityClass._meta.get_field("name").max_length
        assert len(item.name_en) <= FacilityClass._meta.get_field("name_en").max_length


@pytest.mark.parametrize(
    "code, name",
    [
        ("0101", "上水井盖"),
        ("0102", "污水井盖"),
        ("0103", "雨水井盖"),
        ("0104", "雨水箅子"),
        ("0105", "电力井盖"),
        ("0106", "路灯井盖"),
        ("0107", "通信井盖"),
        ("0114", "消火栓"),
        ("0116", "路灯"),
        ("0303", "垃圾箱"),
    ],
)
def test_the_classes_reports_most_often_name_are_there(code, name):
    assert {minor.code: minor.name for minor in MINORS}[code] == name


def test_manhole_covers_report_as_damaged_manhole_covers():
    covers = [minor for minor in MINORS if minor.name.endswith("井盖")]
    assert len(covers) >= 10
    assert {minor.case_category_code for minor in covers} == {"0102"}


@pytest.mark.demo
def test_every_case_category_code_names_a_category_of_the_demo_taxonomy():
    from demo.reference import TAXONOMY

    categories = {minor.code for major in TAXONOMY for minor in major.minors}
    named = {minor.case_category_code for minor in MINORS if minor.case_category_code}
    assert named, "no minor class names a case category"
    assert named <= categories, f"not in demo/reference.py: {sorted(named - categories)}"


def test_the_taxonomy_module_loads_no_model_so_the_migration_may_import_it():
    # A fresh interpreter without Django set up: importing a model there would raise at once.
    root = Path(__file__).resolve().parents[2]
    script = "import sys, places.taxonomy; assert 'places.models' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- in the database ----------------------------------------------------------------------------------


@pytest.fixture
def migrated(db):
    """The rows migration 0002 loaded. A transactional test that ran earlier on this database (pytest-xdist
    runs modules in any order) emptied every table; the migration's own function puts them back then."""
    if not FacilityClass.objects.exists():
        taxonomy.facility_classes_ensure()


@pytest.mark.django_db
def test_the_migration_loaded_every_class_with_its_parent(migrated):
    rows = {row.code: row for row in FacilityClass.objects.select_related("parent")}
    assert sorted(rows) == sorted(ALL_CODES)
    for major in MAJORS:
        assert rows[major.code].parent is None
        assert rows[major.code].name == major.name
        for minor in major.minors:
            row = rows[minor.code]
            assert row.parent.code == major.code
            assert (row.name, row.name_en, row.case_category_code) == (
                minor.name,
                minor.name_en,
                minor.case_category_code,
            )


@pytest.mark.django_db
def test_ensure_writes_nothing_when_the_taxonomy_is_there(migrated):
    assert taxonomy.facility_classes_ensure() == 0
    assert taxonomy.facility_classes_ensure() == 0
    assert FacilityClass.objects.count() == len(ALL_CODES)


@pytest.mark.django_db
def test_ensure_creates_every_class_in_an_empty_table():
    FacilityClass.objects.filter(parent__isnull=False).delete()
    FacilityClass.objects.all().delete()
    assert taxonomy.facility_classes_ensure() == len(ALL_CODES)
    assert FacilityClass.objects.get(code="0116").parent.code == "01"
    assert taxonomy.facility_classes_ensure() == 0


@pytest.mark.django_db
def test_ensure_restores_the_standards_names_and_parent_but_keeps_a_deployments_case_category(migrated):
    lamp = FacilityClass.objects.get(code="0116")
    FacilityClass.objects.filter(pk=lamp.pk).update(
        name="灯", name_en="", parent=FacilityClass.objects.get(code="06"), case_category_code="9901"
    )
    FacilityClass.objects.filter(code="0303").delete()

    assert taxonomy.facility_classes_ensure() == 2

    lamp.refresh_from_db()
    assert (lamp.name, lamp.name_en, lamp.parent.code) == ("路灯", "Street lamp", "01")
    assert lamp.case_category_code == "9901"
    assert FacilityClass.objects.get(code="0303").case_category_code == "0301"


@pytest.mark.django_db
def test_ensure_leaves_a_deployments_own_classes_alone(migrated):
    FacilityClass.objects.create(code="0199", name="自定义设施", parent=FacilityClass.objects.get(code="01"))
    assert taxonomy.facility_classes_ensure() == 0
    assert FacilityClass.objects.filter(code="0199").exists()

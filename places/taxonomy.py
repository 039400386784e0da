"""The city facility (部件) taxonomy of CJ/T 214 as data, and the function that writes it to FacilityClass.

Six major classes (2 digits) and their minor classes (4 digits: the major's 2 and 2 of its own). The list
keeps the standard's major classes and its common minor classes, the manhole covers complete; numbers and
names follow the standard as closely as we know it, so check them against its text before exchanging codes
with another system. A deployment adds the classes it surveys in the admin.

`case_category_code` is the case category a report on such a facility takes by default. The codes are those
of the shipped demo taxonomy (demo/reference.py TAXONOMY: "0102" damaged manhole cover, "0104" broken
streetlight, …); empty where none of its categories fits. A deployment with its own categories edits them
in the admin, and facility_classes_ensure keeps those edits.

This module imports no model at module level: the data migration (0002_facility_classes) reads
FACILITY_CLASSES and writes with its historical model through facility_classes_write.
"""

from dataclasses import dataclass

from django.db import transaction

# Case categories of the demo taxonomy the minor classes below name (demo/reference.py).
_COVER_DAMAGED = "0102"  # 井盖破损: a report on a manhole cover is most often about damage
_GRATE_BLOCKED = "0103"
_STREETLIGHT = "0104"
_HYDRANT = "0105"
_POWER = "0106"
_ROAD_SURFACE = "0201"
_PAVING = "0202"
_TRAFFIC_SIGN = "0203"
_GUARDRAIL = "0204"
_BUS_SHELTER = "0205"
_LITTER_BIN = "0301"
_PUBLIC_TOILET = "0302"
_OUTDOOR_ADVERTISING = "2202"
_TREE = "0401"
_PARK_FURNITURE = "0402"
_LITTERED_GREEN = "2104"
_FACADE = "0501"
_NOTICE_BOARD = "0502"
_FITNESS = "0601"
_CCTV = "0602"


@dataclass(frozen=True)
class MinorClass:
    code: str
    name: str
    name_en: str
    case_category_code: str = ""


@dataclass(frozen=True)
class MajorClass:
    code: str
    name: str
    name_en: str
    minors: tuple[MinorClass, ...]


FACILITY_CLASSES: tuple[MajorClass, ...] = (
    MajorClass(
        "01",
        "公用设施",
        "Public utilities",
        (
            MinorClass("0101", "上水井盖", "Water-supply manhole cover", _COVER_DAMAGED),
            MinorClass("0102", "污水井盖", "Sewer manhole cover", _COVER_DAMAGED),
            MinorClass("0103", "雨水井盖", "Storm-water manhole cover", _COVER_DAMAGED),
            MinorClass("0104", "雨水箅子", "Storm drain grate", _GRATE_BLOCKED),
            MinorClass("0105", "电力井盖", "Power manhole cover", _COVER_DAMAGED),
            MinorClass("0106", "路灯井盖", "Street-lighting manhole cover", _COVER_DAMAGED),
            MinorClass("0107", "通信井盖", "Telecom manhole cover", _COVER_DAMAGED),
            MinorClass("0108", "电视井盖", "Cable TV manhole cover", _COVER_DAMAGED),
            MinorClass("0109", "网络井盖", "Data network manhole cover", _COVER_DAMAGED),
            MinorClass("0110", "热力井盖", "District heating manhole cover", _COVER_DAMAGED),
            MinorClass("0111", "燃气井盖", "Gas manhole cover", _COVER_DAMAGED),
            MinorClass("0112", "特殊井盖", "Special-purpose manhole cover", _COVER_DAMAGED),
            MinorClass("0113", "无主井盖", "Manhole cover of unknown owner", _COVER_DAMAGED),
            MinorClass("0114", "消火栓", "Fire hydrant", _HYDRANT),
            MinorClass("0115", "电力设施", "Power equipment (transformer, distribution box)", _POWER),
            MinorClass("0116", "路灯", "Street lamp", _STREETLIGHT),
            MinorClass("0117", "景观灯", "Decorative lamp", _STREETLIGHT),
            MinorClass("0118", "通信交接箱", "Telecom cross-connect cabinet"),
            MinorClass("0119", "邮筒", "Post box"),
        ),
    ),
    MajorClass(
        "02",
        "道路交通",
        "Roads and traffic",
        (
            MinorClass("0201", "停车场", "Car park"),
            MinorClass("0202", "公交站亭", "Bus shelter", _BUS_SHELTER),
            MinorClass("0203", "交通标志牌", "Traffic sign", _TRAFFIC_SIGN),
            MinorClass("0204", "交通信号灯", "Traffic light"),
            MinorClass("0205", "道路护栏", "Road guardrail", _GUARDRAIL),
            MinorClass("0206", "人行道", "Pavement", _PAVING),
            MinorClass("0207", "车行道", "Roadway", _ROAD_SURFACE),
            MinorClass("0208", "盲道", "Tactile paving", _PAVING),
            MinorClass("0209", "过街天桥", "Footbridge"),
            MinorClass("0210", "地下通道", "Pedestrian underpass"),
            MinorClass("0211", "桥梁", "Bridge"),
        ),
    ),
    MajorClass(
        "03",
        "市容环境",
        "City appearance and environment",
        (
            MinorClass("0301", "公共厕所", "Public toilet", _PUBLIC_TOILET),
            MinorClass("0302", "垃圾间", "Refuse room"),
            MinorClass("0303", "垃圾箱", "Litter bin", _LITTER_BIN),
            MinorClass("0304", "广告牌匾", "Billboard or shop sign", _OUTDOOR_ADVERTISING),
            MinorClass("0305", "环卫工具房", "Street-cleaning tool shed"),
            MinorClass("0306", "垃圾转运站", "Refuse transfer station"),
            MinorClass("0307", "公共饮水器", "Drinking fountain"),
            MinorClass("0308", "雕塑", "Sculpture"),
        ),
    ),
    MajorClass(
        "04",
        "园林绿化",
        "Landscaping",
        (
            MinorClass("0401", "古树名木", "Heritage tree", _TREE),
            MinorClass("0402", "行道树", "Street tree", _TREE),
            MinorClass("0403", "绿地", "Green space", _LITTERED_GREEN),
            MinorClass("0404", "花坛", "Flower bed", _PARK_FURNITURE),
            MinorClass("0405", "绿地护栏", "Green-space fence", _PARK_FURNITURE),
            MinorClass("0406", "树池", "Tree pit", _PARK_FURNITURE),
            MinorClass("0407", "街头座椅", "Street bench", _PARK_FURNITURE),
        ),
    ),
    MajorClass(
        "05",
        "房屋土地",
        "Housing and land",
        (
            MinorClass("0501", "宣传栏", "Notice board", _NOTICE_BOARD),
            MinorClass("0502", "人防工事", "Civil air-defence shelter"),
            MinorClass("0503", "建筑外立面", "Building facade", _FACADE),
            MinorClass("0504", "工地", "Construction site"),
            MinorClass("0505", "空地", "Vacant lot"),
            MinorClass("0506", "报刊亭", "Newsstand"),
        ),
    ),
    MajorClass(
        "06",
        "其他设施",
        "Other facilities",
        (
            MinorClass("0601", "健身设施", "Fitness equipment", _FITNESS),
            MinorClass("0602", "监控电子眼", "CCTV camera", _CCTV),
            MinorClass("0603", "治安岗亭", "Police kiosk"),
            MinorClass("0604", "公共自行车站", "Public bicycle station"),
            MinorClass("0605", "充电桩", "Electric vehicle charger"),
            MinorClass("0606", "水域护栏", "Waterside railing", _GUARDRAIL),
        ),
    ),
)


def facility_classes_write(model) -> int:
    """Create the taxonomy's missing FacilityClass rows and bring the names and parents of existing ones
    in line with it; returns how many rows it wrote (0 when all were already so).

    `model` is the FacilityClass model: the live one, or a migration's historical one (so this touches only
    the fields places/migrations/0001_initial created). An existing row's
    `case_category_code` is left as it is, since a deployment sets it to its own case categories.
    """
    rows = {row.code: row for row in model.objects.all()}
    written = 0
    for major in FACILITY_CLASSES:
        parent, wrote = _class_write(model, rows, major.code, major.name, major.name_en, None, "")
        written += wrote
        for minor in major.minors:
            _, wrote = _class_write(
                model, rows, minor.code, minor.name, minor.name_en, parent, minor.case_category_code
            )
            written += wrote
    return written


def _class_write(model, rows, code, name, name_en, parent, case_category_code):
    row = rows.get(code)
    if row is None:
        row = model.objects.create(
            code=code, name=name, name_en=name_en, parent=parent, case_category_code=case_category_code
        )
        return row, True
    wanted = {"name": name, "name_en": name_en, "parent_id": parent.pk if parent else None}
    changed = [field for field, value in wanted.items() if getattr(row, field) != value]
    if not changed:
        return row, False
    for field in changed:
        setattr(row, field, wanted[field])
    row.save(update_fields=[field.removesuffix("_id") for field in changed])
    return row, True


def facility_classes_ensure() -> int:
    """The taxonomy in the database, idempotently (see facility_classes_write): how many rows were written."""
    # Imported here: the data migration imports this module, and a migration must not load live models.
    from places.models import FacilityClass

    with transaction.atomic():
        return facility_classes_write(FacilityClass)

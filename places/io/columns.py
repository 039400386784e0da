"""What each kind of base-data file holds: its columns, the headers Chinese spreadsheets give them, the words
accepted for coded values, and the check of a file's header."""

from dataclasses import dataclass
from functools import cache

from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt.errors import InvalidInput
from grids import residents_import
from grids.residents_import import RowError, _text

from ..models import BaseDataImportJob, Building, Facility, House, Occupancy, Organisation

Kind = BaseDataImportJob.Kind


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file.

    `columns` are those an import reads; `exported` those an export writes (no clear personal data: ID
    numbers, legal representatives and contacts are import-only). Each entry of `required` is a group of
    columns of which the header must hold at least one. `located`: the rows have a point (lat, lng), which a
    GeoJSON feature gives as its Point; `footprint`: a GeoJSON Polygon is the row's footprint.
    """

    kind: str
    columns: tuple[str, ...]
    exported: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    located: bool = False
    footprint: bool = False


_BUILDING_COLUMNS = (
    "grid_code",
    "road",
    "number",
    "building",
    "use",
    "floors",
    "units",
    "lat",
    "lng",
    "footprint",
)
_FACILITY_COLUMNS = (
    "code",
    "facility_class",
    "lat",
    "lng",
    "name",
    "address",
    "owner",
    "department",
    "state",
)
_ORGANISATION_EXPORTED = (
    "name",
    "credit_code",
    "kind",
    "address",
    "lat",
    "lng",
    "employees",
    "risk_tags",
    "next_inspection_on",
)
_ORGANISATION_PII = ("legal_representative", "contact_name", "contact_phone")
_OCCUPANCY_EXPORTED = (
    "resident_key",
    "address",
    "relation",
    "population",
    "is_tenant",
    "landlord_key",
    "since",
    "until",
)

LAYOUTS = {
    Kind.BUILDINGS: Layout(
        Kind.BUILDINGS,
        columns=_BUILDING_COLUMNS,
        exported=_BUILDING_COLUMNS,
        required=(("road",), ("number",), ("lat", "footprint"), ("lng", "footprint")),
        located=True,
        footprint=True,
    ),
    Kind.HOUSES: Layout(
        Kind.HOUSES,
        columns=("address", "building_id", "unit", "room", "floor", "use", "area_m2"),
        exported=("address", "unit", "room", "floor", "use", "area_m2"),
        required=(("address", "building_id"),),
    ),
    Kind.OCCUPANCIES: Layout(
        Kind.OCCUPANCIES,
        columns=("id_number", "landlord_id_number", *_OCCUPANCY_EXPORTED),
        exported=_OCCUPANCY_EXPORTED,
        required=(("id_number", "resident_key"), ("address",), ("since",)),
    ),
    Kind.ORGANISATIONS: Layout(
        Kind.ORGANISATIONS,
        columns=(*_ORGANISATION_EXPORTED, *_ORGANISATION_PII),
        exported=_ORGANISATION_EXPORTED,
        required=(("name",), ("credit_code",), ("kind",), ("address",)),
        located=True,
    ),
    Kind.FACILITIES: Layout(
        Kind.FACILITIES,
        columns=_FACILITY_COLUMNS,
        exported=_FACILITY_COLUMNS,
        required=(("facility_class",), ("lat",), ("lng",)),
        located=True,
    ),
}

# Headers as Chinese spreadsheets name them; English names are also read in any case, spaces as "_".
HEADER_ALIASES = {
    "网格编码": "grid_code",
    "网格编号": "grid_code",
    "网格代码": "grid_code",
    "道路": "road",
    "路名": "road",
    "街路巷": "road",
    "门牌号": "number",
    "门牌": "number",
    "楼栋": "building",
    "楼栋号": "building",
    "楼号": "building",
    "用途": "use",
    "房屋用途": "use",
    "建筑用途": "use",
    "层数": "floors",
    "总层数": "floors",
    "单元数": "units",
    "纬度": "lat",
    "经度": "lng",
    "latitude": "lat",
    "longitude": "lng",
    "轮廓": "footprint",
    "占地轮廓": "footprint",
    "地址": "address",
    "楼栋地址": "address",
    "房屋地址": "address",
    "住址": "address",
    "楼栋id": "building_id",
    "单元": "unit",
    "单元号": "unit",
    "房号": "room",
    "房间号": "room",
    "室号": "room",
    "楼层": "floor",
    "所在楼层": "floor",
    "面积": "area_m2",
    "建筑面积": "area_m2",
    "面积(平方米)": "area_m2",
    "面积（平方米）": "area_m2",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "居民标识": "resident_key",
    "与户主关系": "relation",
    "关系": "relation",
    "人口类型": "population",
    "人口类别": "population",
    "是否租户": "is_tenant",
    "租户": "is_tenant",
    "房东身份证号": "landlord_id_number",
    "房东身份证号码": "landlord_id_number",
    "房东标识": "landlord_key",
    "入住日期": "since",
    "起始日期": "since",
    "迁出日期": "until",
    "截止日期": "until",
    "单位名称": "name",
    "名称": "name",
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "单位类型": "kind",
    "类型": "kind",
    "法定代表人": "legal_representative",
    "法人": "legal_representative",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "电话": "contact_phone",
    "从业人数": "employees",
    "员工人数": "employees",
    "风险标签": "risk_tags",
    "下次检查日期": "next_inspection_on",
    "下次检查": "next_inspection_on",
    "部件编码": "code",
    "编码": "code",
    "部件小类": "facility_class",
    "小类代码": "facility_class",
    "部件类别": "facility_class",
    "权属单位": "owner",
    "养护单位": "department",
    "养护部门": "department",
    "责任部门": "department",
    "状态": "state",
    "部件状态": "state",
}


def header_read(names, layout: Layout, *, row: int = 1) -> tuple[dict[str, int], list[RowError]]:
    """{column: position} of a header (cells of a sheet's first row, or the property names of a GeoJSON
    file), and what is wrong with it: unknown or repeated columns, required ones missing."""
    return residents_import.header_read(
        names, columns=layout.columns, required=layout.required, aliases=HEADER_ALIASES, row=row
    )


# --- coded values ---------------------------------------------------------------------------------------

# Words people write for the codes, besides the codes and the labels the pages show (in either language).
_VALUE_WORDS = {
    Building.Use: {"住宅": "residential", "商业": "commercial", "商用": "commercial", "商住": "mixed"},
    House.Use: {
        "自住": "owner",
        "出租": "rented",
        "空置": "vacant",
        "商用": "commercial",
        "商铺": "commercial",
    },
    Occupancy.Relation: {
        "户主": "head",
        "配偶": "spouse",
        "子女": "child",
        "父母": "parent",
        "亲属": "relative",
        "其他亲属": "relative",
        "租户": "tenant",
        "租客": "tenant",
        "其他": "other",
    },
    Occupancy.Population: {"户籍": "registered", "常住": "permanent", "流动": "floating"},
    Organisation.Kind: {
        "企业": "enterprise",
        "个体工商户": "shop",
        "商铺": "shop",
        "学校": "school",
        "医院": "hospital",
        "社会组织": "social",
        "机关": "government",
        "机关单位": "government",
        "其他": "other",
    },
    Facility.State: {
        "完好": "intact",
        "破损": "damaged",
        "损坏": "damaged",
        "丢失": "missing",
        "占用": "occupied",
    },
}
_LABEL_LANGUAGES = ("en", "zh-hans")
_YES = frozenset({"1", "true", "yes", "y", "是", "√"})
_NO = frozenset({"0", "false", "no", "n", "否", ""})


@cache
def _words(choices) -> dict[str, str]:
    words = {value.lower(): value for value in choices.values}
    for language in _LABEL_LANGUAGES:
        with translation.override(language):
            words.update({str(label).lower(): value for value, label in choices.choices})
    words.update(_VALUE_WORDS.get(choices, {}))
    return words


def coded(raw, choices) -> str:
    """The code a cell names (its code, its label in English or Chinese, or a common Chinese word); the
    text as it is when it names none, for the service's check to refuse by name."""
    text = _text(raw)
    return _words(choices).get(text.lower(), text)


def yes_no(raw, *, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput(gettext_noop("%(text)s is neither yes nor no"), text=repr(text)[:20], field=field)


# The words services pass as "what" in their sentences, for the same checks made here.
LABELS = {
    "use": gettext_lazy("the use"),
    "relation": gettext_lazy("the relation"),
    "population": gettext_lazy("the population kind"),
    "kind": gettext_lazy("the type"),
    "state": gettext_lazy("the state"),
}

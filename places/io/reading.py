"""A base-data file read into numbered rows of named values: CSV and XLSX with the resident import's readers
(UTF-8 or GB18030 text, calamine for workbooks), GeoJSON FeatureCollections with their geometry as columns."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt.json_io import json_loads
from gridmgmt.messages import Message
from grids.residents_import import ImportFileError, RowError, _decode, _open_rows, _text

from .columns import Layout, header_read

GEOJSON_SUFFIXES = (".geojson", ".json")
# A cell starting with one of these is a formula to a spreadsheet: a CSV export writes a ' before it, which
# the import drops again. ("-" counts only before a non-digit: rooms below ground are written "-101".)
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


@dataclass(slots=True)
class Record:
    """One data row: its number as the file shows it (a sheet's row, a GeoJSON feature's position) and its
    values by column name; `errors` holds what reading it already found wrong (a GeoJSON geometry)."""

    row: int
    values: dict
    errors: list[RowError] = field(default_factory=list)

    def get(self, column: str):
        return self.values.get(column)

    def text(self, column: str) -> str:
        return _text(self.values.get(column))


@dataclass
class Table:
    expected: int  # data rows the file holds, for the progress bar (0: not known)
    columns: dict[str, int]
    records: Iterator[Record]
    errors: list[RowError]  # problems of the header: nothing can be imported


def is_geojson(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(GEOJSON_SUFFIXES) or data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def table_open(data: bytes, filename: str, layout: Layout) -> Table:
    """The file's rows; raises ImportFileError when it cannot be read at all."""
    if is_geojson(data, filename):
        return _geojson_table(data, layout)
    expected, rows = _open_rows(data, filename)
    header = next(rows, None)
    if header is None:
        raise ImportFileError(gettext_noop("the file is empty: no header row"))
    columns, errors = header_read(header, layout)
    records = _sheet_records(rows, columns, quoted=data[:4] != b"PK\x03\x04")
    return Table(expected, columns, records, errors)


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) or (text[:1] == "-" and len(text) > 1 and not text[1].isdigit())


def unquoted(value):
    """A CSV cell as it was before the export quoted it: "'=x" → "=x"."""
    if isinstance(value, str) and value[:1] == "'" and formula_like(value[1:]):
        return value[1:]
    return value


def _sheet_records(rows, columns: dict[str, int], *, quoted: bool) -> Iterator[Record]:
    for row_no, cells in enumerate(rows, start=2):  # as a spreadsheet numbers them: the header is row 1
        if not cells or all(_text(cell) == "" for cell in cells):
            continue  # blank rows are skipped, and keep the numbers of the rows after them
        width = len(cells)
        values = {name: cells[at] if at < width else None for name, at in columns.items()}
        if quoted:
            values = {name: unquoted(value) for name, value in values.items()}
        yield Record(row_no, values)


# --- GeoJSON ----------------------------------------------------------------------------------------------


def _geojson_table(data: bytes, layout: Layout) -> Table:
    try:
        document = json_loads(_decode(data))
    except ValueError as exc:  # not JSON, or nested too deep
        raise ImportFileError(
            gettext_noop("the GeoJSON file cannot be parsed: %(error)s"), error=str(exc)[:200]
        ) from None
    collection = isinstance(document, dict) and document.get("type") == "FeatureCollection"
    features = document.get("features") if collection else None
    if not isinstance(features, list):
        raise ImportFileError(gettext_noop("a GeoJSON file must hold one FeatureCollection"))
    # The header is every property name the features use, and the columns their geometries give.
    names: dict[str, None] = {}
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            names.update(dict.fromkeys(properties))
    if layout.located:
        names.update(dict.fromkeys(_geometry_columns(features, layout)))
    keys = list(names)
    columns, errors = header_read(keys, layout, row=0)
    column_of = {keys[at]: name for name, at in columns.items()}
    return Table(len(features), columns, _feature_records(features, layout, column_of), errors)


def _geometry_columns(features: list, layout: Layout) -> list[str]:
    found = []
    for feature in features:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind == "Point" and "lat" not in found:
            found += ["lat", "lng"]
        elif kind == "Polygon" and layout.footprint and "footprint" not in found:
            found.append("footprint")
    return found


def _feature_records(features: list, layout: Layout, column_of: dict[str, str]) -> Iterator[Record]:
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            yield Record(
                number, {}, [RowError(number, "type", Message(gettext_noop("not a GeoJSON Feature")))]
            )
            continue
        values = {column_of[key]: value for key, value in (properties or {}).items() if key in column_of}
        record = Record(number, values)
        if layout.located and feature.get("geometry") is not None:
            _geometry_read(feature["geometry"], layout, record)
        yield record


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _geometry_read(geometry, layout: Layout, record: Record) -> None:
    """The feature's Point as lat and lng (unless its properties give them), its Polygon as the footprint."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Point":
        if not (isinstance(coordinates, list) and len(coordinates) >= 2 and all(map(_number, coordinates))):
            problem = Message(gettext_noop("the Point has no [longitude, latitude] coordinates"))
            record.errors.append(RowError(record.row, "geometry", problem))
            return
        if record.text("lat") == "" and record.text("lng") == "":
            record.values["lng"], record.values["lat"] = coordinates[0], coordinates[1]
    elif kind == "Polygon" and layout.footprint:
        record.values["footprint"] = geometry
    else:
        problem = Message(
            gettext_noop("a geometry of type %(type)s cannot be read here: give %(wanted)s"),
            type=str(kind)[:20],
            wanted=gettext_lazy("a Point or a Polygon") if layout.footprint else gettext_lazy("a Point"),
        )
        record.errors.append(RowError(record.row, "geometry", problem))

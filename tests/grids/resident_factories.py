"""Builders for resident tests: valid ID numbers computed independently of grids.pii, residents, files."""

import csv
import io
import itertools
from datetime import date

from grids import services

_seq = itertools.count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number(region: str = "360102", birth: date = date(1990, 3, 7), seq: int | None = None) -> str:
    """A valid 18-character ID number; `seq` (0–999) picks the sequence code, odd = male."""
    seq = next(_seq) % 1000 if seq is None else seq
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def phone(n: int | None = None) -> str:
    return f"138{(next(_seq) if n is None else n) % 100000000:08d}"


def resident(grid, *, name: str = "张三明", id_no: str | None = None, phone_no: str = "", **extra):
    return services.resident_create(
        actor=None,
        grid=grid,
        name=name,
        id_number=id_no or id_number(),
        phone=phone_no or phone(),
        address=extra.pop("address", "八一大道 1 号"),
        moved_in_on=extra.pop("moved_in_on", date(2015, 6, 1)),
        **extra,
    )


HEADER = ["grid_code", "name", "id_number", "phone", "address", "household", "moved_in_on", "care_tags"]


def row(grid_code: str, *, id_no: str | None = None, **overrides) -> dict:
    values = {
        "grid_code": grid_code,
        "name": "李四",
        "id_number": id_no or id_number(),
        "phone": phone(),
        "address": "阳明路 8 号",
        "household": "H001",
        "moved_in_on": "2018-09-01",
        "care_tags": "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(column, "") for column in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def resident_form_data(grid, **overrides) -> dict:
    """What the resident form posts for a valid new resident of `grid`; `overrides` change or break fields."""
    data = {
        "grid": grid.code,
        "name": "黄新",
        "id_number": id_number(),
        "phone": "13700001111",
        "address": "叠山路 5 号",
        "household_no": "H-9",
        "moved_in_on": "2019-10-01",
        "care_tags": ["veteran"],
    }
    data.update(overrides)
    return data

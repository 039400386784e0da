"""The hostile input classes: a value for one field, a whole request body, an uploaded file.

Every class has a name; the harness reports failures by it. A field value is text (sent in a form, a query
string, a path segment or as a JSON string), raw bytes (sent as they are: not UTF-8), or, in JSON bodies
only, a value of another JSON type or a number literal Python's json module would never write.
"""

import functools
import io
import json
import struct
from urllib.parse import quote

from django.conf import settings
from PIL import Image


class Raw(str):
    """JSON text written into a body verbatim: NaN, 1e400, 2**63 as a literal, brackets nested deep."""


# --- one field's value --------------------------------------------------------------------------------------

# Text every channel can carry. Values that look like numbers are there for numeric and id fields, and sent
# to every field: a text field must take them, a number field must refuse them with a message.
TEXT: dict[str, str] = {
    "empty": "",
    "blank": "   ",
    "huge_100k": "长" * 20_000 + "x" * 40_000,  # 100 KB as UTF-8
    "nul": "before\x00after",
    "control_chars": "\x01\x02\x07\x08\x0b\x0c\x1b[2J\x7f\x9b",
    "bidi_and_zero_width": "\u202etxt.exe\u200b\ufeff\u2028",
    "crlf_header": "x\r\nSet-Cookie: pwned=1\r\n\r\n<h1>",
    "surrogate": "\ud800",  # a lone UTF-16 surrogate: a JSON escape; WTF-8 bytes in forms and URLs
    "superscript_digits": "²³",
    "arabic_indic_digits": "٣١",
    "fullwidth_digits": "１２",
    "int64_overflow": str(2**63),
    "int_huge": str(10**30),
    "int_5000_digits": "9" * 5000,  # above Python's int() digit limit (4300)
    "negative": "-1",
    "negative_overflow": str(-(2**63) - 1),
    "zero": "0",
    "float_overflow": "1e400",
    "nan": "NaN",
    "infinity": "Infinity",
    "negative_infinity": "-Infinity",
    "coordinate_out_of_range": "-181.5",
    "decimal_comma": "28,68",
    "script": "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>",
    "sql": "' OR '1'='1'; DROP TABLE cases_case; --",
    "format_string": "%s%s%n%(x)s{0}{.__class__}",
    "path_traversal": "../../../../etc/passwd",
    "date_impossible": "2026-02-30",
    "datetime_far": "9999-12-31T23:59:59+99:00",
    "emoji": "💩🚧👨‍👩‍👧",
}

# Sent as bytes (forms, query strings, path segments, inside a JSON string literal): not valid UTF-8.
BYTES: dict[str, bytes] = {
    "invalid_utf8": b"\xff\xfe\xc3\x28\x80abc",
}

# JSON only: the wrong type, or a number no database column holds.
JSON_ONLY: dict[str, object] = {
    "json_list": ["a", 1],
    "json_object": {"a": {"b": [1]}},
    "json_true": True,
    "json_null": None,
    "json_number": 12345,
    "json_float": 1.5,
    "json_negative": -1,
    "json_int64_overflow": Raw(str(2**63)),
    "json_int_huge": Raw(str(10**30)),
    "json_nan": Raw("NaN"),
    "json_infinity": Raw("-Infinity"),
    "json_float_overflow": Raw("1e400"),
    "json_coordinate_out_of_range": 1000.5,
    "json_deep_in_field": Raw("[" * 50_000 + "]" * 50_000),  # 100 KB of nesting inside one field
    "json_list_of_hostile": ["\x00", "\ud800", "<script>"],
}

# Path segments: what a URL converter or a view reading a path parameter meets.
PATH: dict[str, str | bytes] = {
    name: TEXT[name]
    for name in (
        "blank",
        "nul",
        "control_chars",
        "crlf_header",
        "surrogate",
        "superscript_digits",
        "arabic_indic_digits",
        "int64_overflow",
        "int_huge",
        "int_5000_digits",
        "negative",
        "zero",
        "float_overflow",
        "nan",
        "script",
        "sql",
        "format_string",
        "emoji",
        "crlf_header",
    )
} | {
    "invalid_utf8": BYTES["invalid_utf8"],
    "leading_zeros": "000000000000000000000000001",
    "long_segment": "x" * 8000,
    "dots": "..",
    "percent": "%",
    "json_in_path": '{"a":[1]}',
}


# The classes issue 14 names (and the baseline each is compared with). When the budget cannot take every
# (input, class) pair, these come first; the others fill what is left (harness.sample).
CORE = frozenset(
    {
        "baseline",
        "empty",
        "huge_100k",
        "nul",
        "control_chars",
        "surrogate",
        "superscript_digits",
        "int64_overflow",
        "int_huge",
        "negative",
        "coordinate_out_of_range",
        "nan",
        "infinity",
        "script",
        "sql",
        "invalid_utf8",
        # wrong types
        "json_list",
        "json_object",
        "repeated",
        "file_for_text",
        # numbers in JSON
        "json_int64_overflow",
        "json_int_huge",
        "json_negative",
        "json_nan",
        "json_infinity",
        "json_coordinate_out_of_range",
        # whole bodies
        "deep_json_arrays",
        "deep_json_objects",
        "over_upload_limit",
        "json_invalid_utf8",
        "form_invalid_utf8",
        "empty_json",
        "empty_form",
        "text_plain",
        "json_as_form",
        "form_as_json",
        "xml_with_entity",
        # uploads
        "valid_jpeg",
        "truncated_jpeg",
        "not_an_image",
        "huge_declared_size",
        # an empty POST to every page
        "POST",
    }
)


def field_classes() -> dict[str, str | bytes]:
    """Every value class a text channel (form, query string) can carry."""
    return {**TEXT, **BYTES}


def as_bytes(value: str | bytes) -> bytes:
    """Text as UTF-8; a lone surrogate as the bytes a careless encoder writes for it (WTF-8)."""
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def url_quote(value: str | bytes) -> str:
    return quote(as_bytes(value), safe="")


def urlencode_pairs(pairs: list[tuple[str, str | bytes]]) -> str:
    """application/x-www-form-urlencoded (also a query string), byte for byte as given."""
    return "&".join(f"{url_quote(name)}={url_quote(value)}" for name, value in pairs)


def json_body(fields: dict[str, object]) -> bytes:
    """A JSON object; Raw values go in verbatim, bytes inside a string literal as they are."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, Raw):
            encoded = value.encode()
        elif isinstance(value, bytes):
            encoded = b'"' + value + b'"'
        else:  # ensure_ascii writes a lone surrogate as the escape "\ud800": valid JSON text
            encoded = json.dumps(value).encode()
        parts.append(json.dumps(name).encode() + b":" + encoded)
    return b"{" + b",".join(parts) + b"}"


BOUNDARY = "HostileHarnessBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart_body(pairs: list[tuple[str, object]]) -> bytes:
    """multipart/form-data: a value is text, bytes, or an Upload."""
    out = io.BytesIO()
    for name, value in pairs:
        out.write(f"--{BOUNDARY}\r\n".encode())
        if isinstance(value, Upload):
            out.write(
                b'Content-Disposition: form-data; name="'
                + as_bytes(name)
                + b'"; filename="'
                + as_bytes(value.filename)
                + b'"\r\nContent-Type: '
                + value.content_type.encode()
                + b"\r\n\r\n"
                + value.content
            )
        else:
            out.write(b'Content-Disposition: form-data; name="' + as_bytes(name) + b'"\r\n\r\n')
            out.write(as_bytes(value))  # type: ignore[arg-type]
        out.write(b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


# --- whole bodies -------------------------------------------------------------------------------------------


@functools.cache
def _over_limit(kind: str) -> bytes:
    """A body just over DATA_UPLOAD_MAX_MEMORY_SIZE (built once per kind, shared by every request)."""
    filler = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    if kind == "json":
        return b'{"description": "' + filler + b'"}'
    return b"description=" + filler


def bodies(valid_json: bytes) -> dict[str, tuple[str, bytes]]:
    """Body classes for an endpoint that takes a body: class → (content type, bytes). `valid_json` is the
    endpoint's own valid body, resent under the wrong content types."""
    return {
        "deep_json_arrays": ("application/json", b"[" * 150_000 + b"]" * 150_000),
        "deep_json_objects": ("application/json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        "deep_json_unclosed": ("application/json", b"[{" * 100_000),
        "json_truncated": ("application/json", valid_json[: max(1, len(valid_json) // 2)]),
        "json_scalar": ("application/json", b"12345"),
        "json_top_level_list": ("application/json", b"[" + valid_json + b"]"),
        "json_top_level_string": ("application/json", b'"text"'),
        "json_top_level_null": ("application/json", b"null"),
        "json_top_level_nan": ("application/json", b"NaN"),
        "json_invalid_utf8": ("application/json", b'{"description": "\xff\xfe\xc3\x28"}'),
        "json_utf16": ("application/json", valid_json.decode().encode("utf-16")),
        "json_bom": ("application/json", b"\xef\xbb\xbf" + valid_json),
        "json_unknown_charset": ("application/json; charset=x-klingon", valid_json),
        "empty_json": ("application/json", b""),
        "over_upload_limit": ("application/json", _over_limit("json")),
        "text_plain": ("text/plain", valid_json),
        "xml_with_entity": (
            "application/xml",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        ),
        "json_as_form": ("application/x-www-form-urlencoded", valid_json),
        "form_as_json": ("application/json", b"description=x&lat=1"),
        "multipart_without_boundary": ("multipart/form-data", b"--x\r\n\r\n"),
        "multipart_unterminated": (
            MULTIPART,
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\nno end'.encode(),
        ),
        "form_too_many_fields": (
            "application/x-www-form-urlencoded",
            "&".join(f"f{i}=1" for i in range(1500)).encode(),
        ),
        "form_invalid_utf8": ("application/x-www-form-urlencoded", b"description=\xff\xfe&lat=\xc3\x28"),
    }


def form_bodies(valid_form: bytes) -> dict[str, tuple[str, bytes]]:
    """Body classes for a form (or Open311) endpoint; `valid_form` is its valid url-encoded body."""
    return {
        "empty_form": ("application/x-www-form-urlencoded", b""),
        "form_invalid_utf8": ("application/x-www-form-urlencoded", valid_form + b"&description=\xff\xfe"),
        "form_unknown_charset": ("application/x-www-form-urlencoded; charset=x-klingon", valid_form),
        "form_too_many_fields": (
            "application/x-www-form-urlencoded",
            valid_form + b"&" + "&".join(f"f{i}=1" for i in range(1500)).encode(),
        ),
        "over_upload_limit": ("application/x-www-form-urlencoded", _over_limit("form")),
        "form_as_json": ("application/json", b'{"description": "x"}'),
        "deep_json_arrays": ("application/json", b"[" * 150_000 + b"]" * 150_000),
        "text_plain": ("text/plain", valid_form),
        "multipart_without_boundary": ("multipart/form-data", b"--x\r\n\r\n"),
        "multipart_unterminated": (
            MULTIPART,
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\nno end'.encode(),
        ),
        "percent_garbage": ("application/x-www-form-urlencoded", b"%%%%=%zz&=&&==&a=%E0%A4%A"),
    }


# --- uploaded files -----------------------------------------------------------------------------------------


class Upload:
    def __init__(self, filename: str, content_type: str, content: bytes):
        self.filename, self.content_type, self.content = filename, content_type, content


def _jpeg(size: tuple[int, int], noisy: bool = False) -> bytes:
    image = Image.effect_noise(size, 64).convert("RGB") if noisy else Image.new("RGB", size, (40, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _declaring(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header (SOF0) claiming width × height pixels: a decompression bomb."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]


@functools.cache
def uploads() -> dict[str, Upload]:
    valid = _jpeg((32, 24))
    noisy = _jpeg((96, 96), noisy=True)
    return {
        "valid_jpeg": Upload("photo.jpg", "image/jpeg", valid),
        "truncated_jpeg": Upload("photo.jpg", "image/jpeg", noisy[: len(noisy) * 3 // 5]),
        "not_an_image": Upload("photo.jpg", "image/jpeg", b"this is not an image\n" * 20),
        "huge_declared_size": Upload("photo.jpg", "image/jpeg", _declaring(valid, 65_000, 65_000)),
        "empty_file": Upload("photo.jpg", "image/jpeg", b""),
        "hostile_file_name": Upload("../../<script>\x00\u202e.jpg", "image/jpeg", valid),
        "html_as_image": Upload("photo.jpg", "image/jpeg", b"<html><script>alert(1)</script></html>"),
        # Above every upload size limit; Django spools it to FILE_UPLOAD_TEMP_DIR (the test media dir).
        "over_size_limit": Upload("photo.jpg", "image/jpeg", valid + b"\0" * (11 * 1024 * 1024)),
    }

"""The spec's error bodies: a list of {code, description}, with 403 for the key, 404 for what does not exist
and 400 for everything else, in the format the client asked for."""

import pytest

from grids import services as grid_services
from open311.models import ApiKey

from ..factories import ORIGIN_LAT, ORIGIN_LNG, centre, square
from .conftest import descriptions, errors_of, post_form, url


@pytest.fixture
def valid(world, demo_key):
    """A form that creates a request; tests break one thing at a time."""
    lat, lng = centre(world.g1)
    return {
        "api_key": demo_key.key,
        "service_code": "0102",
        "lat": str(lat),
        "long": str(lng),
        "description": "x",
    }


# --- the api_key (POST only) ---


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_refuses_a_request_without_a_key(client, valid, fmt):
    del valid["api_key"]
    response = post_form(client, f"requests.{fmt}", valid)
    assert response.status_code == 403
    assert "api_key is missing" in descriptions(response, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_refuses_a_wrong_key(client, valid, fmt):
    valid["api_key"] = "not-a-key"
    response = post_form(client, f"requests.{fmt}", valid)
    assert response.status_code == 403
    assert "Invalid api_key" in descriptions(response, fmt)


def test_it_refuses_a_deactivated_key(client, valid, demo_key):
    ApiKey.objects.filter(pk=demo_key.pk).update(is_active=False)
    assert post_form(client, "requests.json", valid).status_code == 403


def test_it_refuses_an_overlong_key(client, valid):
    valid["api_key"] = "k" * 5000
    assert post_form(client, "requests.json", valid).status_code == 403


def test_reads_need_no_key(client, world):
    assert client.get(url("requests.json")).status_code == 200
    assert client.get(url("requests.json"), {"api_key": "whatever"}).status_code == 200


def test_a_successful_create_records_when_the_key_was_used(client, valid, demo_key):
    assert post_form(client, "requests.json", valid).status_code == 200
    demo_key.refresh_from_db()
    assert demo_key.last_used_at is not None


# --- services ---


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_definition_is_404(client, world, fmt):
    response = client.get(url(f"services/9999.{fmt}"))
    assert response.status_code == 404
    assert "service_code '9999' was not found" in descriptions(response, fmt)


def test_a_major_class_is_not_a_service(client, world):
    assert client.get(url("services/01.json")).status_code == 404


def test_creating_for_an_unknown_service_is_404(client, valid):
    valid["service_code"] = "9999"
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 404
    assert "service_code '9999' was not found" in descriptions(response)


def test_creating_without_a_service_code_is_400(client, valid):
    del valid["service_code"]
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert "service_code is required" in descriptions(response)


# --- location ---


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_without_a_location_is_400(client, valid, fmt):
    del valid["lat"], valid["long"]
    response = post_form(client, f"requests.{fmt}", valid)
    assert response.status_code == 400
    assert "a location is required" in descriptions(response, fmt)


@pytest.mark.parametrize("field", ["address_string", "address_id"])
def test_an_address_alone_that_the_base_data_lacks_is_400_naming_the_field(client, valid, field):
    # Located through the standard addresses (tests/open311/test_address_location.py); here there are none.
    del valid["lat"], valid["long"]
    valid[field] = "八一大道 1 号"
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert descriptions(response).startswith(field)


@pytest.mark.parametrize(
    ("lat", "lng", "message"),
    [
        ("28.68", None, "lat and long must be sent together"),
        ("north", "115.89", "lat must be a number"),
        ("nan", "115.89", "lat must be a number between -90 and 90"),
        ("28.68", "inf", "long must be a number between -180 and 180"),
        ("95", "115.89", "lat must be a number between -90 and 90"),
        ("28.68", "-181", "long must be a number between -180 and 180"),
    ],
)
def test_bad_coordinates_are_400(client, valid, lat, lng, message):
    valid["lat"] = lat
    if lng is None:
        del valid["long"]
    else:
        valid["long"] = lng
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert message in descriptions(response)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_point_outside_the_jurisdiction_is_400(client, valid, fmt):
    valid["lat"], valid["long"] = "39.9", "116.4"  # Beijing: no grid of ours
    response = post_form(client, f"requests.{fmt}", valid)
    assert response.status_code == 400
    assert "outside the jurisdiction" in descriptions(response, fmt)


def test_a_point_in_another_district_is_outside_the_named_jurisdiction(client, valid):
    grid_services.jurisdiction_ensure(code="360103", name="西湖区")
    grid_services.jurisdiction_ensure(code="360103001", name="街道")
    grid_services.jurisdiction_ensure(code="360103001001", name="社区")
    other = grid_services.grid_save(
        code="36010300100101", name="西湖网格", boundary=square(ORIGIN_LAT - 0.02, ORIGIN_LNG)
    )
    lat, lng = centre(other)
    valid.update(lat=str(lat), long=str(lng), jurisdiction_id="360102")
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert "outside jurisdiction 360102" in descriptions(response)
    valid["jurisdiction_id"] = "360103"
    assert post_form(client, "requests.json", valid).status_code == 200


# --- attributes ---


def test_a_required_attribute_must_be_answered(client, valid, questions):
    valid["service_code"] = "0101"
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert "attribute[WASTE_KIND] is required: What kind of waste is it?" in descriptions(response)


def test_every_attribute_problem_is_listed_at_once(client, valid, questions):
    valid.update(
        {
            "service_code": "0101",
            "attribute[WASTE_KIND]": "furniture",
            "attribute[VOLUME]": "lots",
            "attribute[SEEN_AT]": "last tuesday",
            "attribute[SMELL][]": ["rotten", "sweet"],
            "attribute[COLOUR]": "red",
            "attribute[oops": "x",
        }
    )
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    found = [e["description"] for e in errors_of(response)]
    assert len(found) == 6
    text = " | ".join(found)
    assert "attribute[WASTE_KIND]: 'furniture' is not one of the listed keys" in text
    assert "attribute[VOLUME] must be a number" in text
    assert "attribute[SEEN_AT] must be an ISO 8601 date" in text
    assert "attribute[SMELL]: 'sweet' is not one of the listed keys" in text
    assert "attribute 'COLOUR' is not defined for service 0101" in text
    assert "'attribute[oops' is not of the form attribute[code]" in text


def test_a_single_value_attribute_takes_one_value(client, valid, questions):
    valid.update({"service_code": "0101", "attribute[WASTE_KIND]": ["household", "construction"]})
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert "attribute[WASTE_KIND] takes one value" in descriptions(response)


def test_a_string_attribute_is_one_line(client, valid, questions, world):
    from open311.models import ServiceAttribute

    ServiceAttribute.objects.create(category=world.cats.ads, code="WHERE", description="Where?", order=1)
    valid["attribute[WHERE]"] = "line one\nline two"
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert "attribute[WHERE] is a single line" in descriptions(response)


def test_valid_answers_of_every_type_are_accepted(client, valid, questions):
    valid.update(
        {
            "service_code": "0101",
            "attribute[WASTE_KIND]": "construction",
            "attribute[VOLUME]": "-2.5e1",
            "attribute[SEEN_AT]": "2026-11-25T08:30:00+08:00",
            "attribute[SMELL]": "chemical",
            "attribute[NOTE]": "ignored: informational attributes take no input",
        }
    )
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 200, response.content
    from open311.models import ServiceRequest

    assert ServiceRequest.objects.get().attributes == {
        "WASTE_KIND": "construction",
        "VOLUME": "-2.5e1",
        "SEEN_AT": "2026-11-25T08:30:00+08:00",
        "SMELL": ["chemical"],
    }


# --- the other fields ---


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "email is not a valid e-mail address"),
        ("email", "a" * 95 + "@x.org", "email is longer than 100 characters"),
        ("media_url", "javascript:alert(1)", "media_url must be an http or https URL"),
        ("media_url", "https://x.org/" + "a" * 500, "media_url is longer than 500 characters"),
        ("description", "很" * 4001, "description is longer than 4000 characters"),
        ("first_name", "n" * 51, "first_name is longer than 50 characters"),
        ("phone", "1" * 31, "phone is longer than 30 characters"),
        ("device_id", "d" * 101, "device_id is longer than 100 characters"),
        ("account_id", "a" * 101, "account_id is longer than 100 characters"),
        ("address_string", "路" * 201, "address_string is longer than 200 characters"),
        ("description", "nul\x00byte", "contains a NUL character"),
    ],
)
def test_bad_fields_are_400(client, valid, field, value, message):
    valid[field] = value
    response = post_form(client, "requests.json", valid)
    assert response.status_code == 400
    assert message in descriptions(response)


def test_a_json_body_is_400_not_silently_empty(client, valid):
    response = client.post(url("requests.json"), data=valid, content_type="application/json")
    assert response.status_code == 400
    assert "application/x-www-form-urlencoded" in descriptions(response)


def test_a_multipart_body_without_a_boundary_is_400(client, world):
    response = client.generic(
        "POST", url("requests.json"), data=b"garbage", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "the request body could not be read" in descriptions(response)


def test_a_photo_that_is_not_an_image_is_400(client, valid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    valid["media"] = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(url("requests.json"), valid)
    assert response.status_code == 400
    assert "x.png is not a readable image" in descriptions(response)


# --- requests, tokens and search parameters ---


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_id_is_404(client, world, fmt):
    response = client.get(url(f"requests/20990101999999.{fmt}"))
    assert response.status_code == 404
    assert "service_request_id '20990101999999' was not found" in descriptions(response, fmt)


@pytest.mark.parametrize(
    "path", ["requests/%00.json", "requests/a%20b.json", "tokens/" + "x" * 200 + ".json"]
)
def test_impossible_identifiers_are_404_without_a_query(client, world, path, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(url(path))
    assert response.status_code == 404
    errors_of(response)


def test_an_unknown_token_is_404(client, world):
    response = client.get(url("tokens/0123abcd.json"))
    assert response.status_code == 404
    assert "token '0123abcd' was not found" in descriptions(response)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-01-01",
        "2026-01-01T00:00:00",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00+08:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59+00:00",
    ],
)
def test_a_malformed_start_date_is_400_naming_it(client, world, value, fmt):
    response = client.get(url(f"requests.{fmt}"), {"start_date": value})
    assert response.status_code == 400
    assert "start_date" in descriptions(response, fmt)


def test_an_unencoded_plus_in_the_zone_gets_a_hint(client, world):
    response = client.get(url("requests.json") + "?end_date=2026-11-01T00:00:00+08:00")
    assert response.status_code == 400
    assert "must be sent as %2B" in descriptions(response)
    ok = client.get(url("requests.json") + "?end_date=2026-11-01T00:00:00%2B08:00")
    assert ok.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_range_over_90_days_is_400(client, world, fmt):
    response = client.get(
        url(f"requests.{fmt}"), {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "may not span more than 90 days" in descriptions(response, fmt)


def test_exactly_90_days_is_allowed(client, world):
    response = client.get(
        url("requests.json"), {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:00Z"}
    )
    assert response.status_code == 200


def test_an_end_before_the_start_is_400(client, world):
    response = client.get(
        url("requests.json"), {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "end_date must not be before start_date" in descriptions(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"lat": "abc", "long": "115.89"}, "lat must be a number"),
        ({"lat": "28.68", "long": "east"}, "long must be a number"),
        ({"lat": "NaN", "long": "115.89"}, "lat must be a number between -90 and 90"),
        ({"lat": "-90.5", "long": "115.89"}, "lat must be a number between -90 and 90"),
        ({"lat": "28.68", "long": "1e400"}, "long must be a number between -180 and 180"),
        ({"lat": "28.68"}, "lat and long must be sent together"),
        ({"radius": "100"}, "radius needs lat and long"),
        ({"lat": "28.68", "long": "115.89", "radius": "0"}, "radius must be more than 0 metres"),
        ({"lat": "28.68", "long": "115.89", "radius": "-5"}, "radius must be a number between 0 and 50000"),
        (
            {"lat": "28.68", "long": "115.89", "radius": "50001"},
            "radius must be a number between 0 and 50000",
        ),
        ({"lat": "28.68", "long": "115.89", "radius": "wide"}, "radius must be a number"),
        ({"page_size": "1001"}, "page_size must be a whole number from 1 to 1000"),
        ({"page_size": "0"}, "page_size must be a whole number from 1 to 1000"),
        ({"page_size": "1_000"}, "page_size must be a whole number from 1 to 1000"),
        ({"page": "0"}, "page must be a whole number"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "٣"}, "page must be a whole number"),
        ({"status": "pending"}, "status must be open or closed"),
        ({"updated_after": "2026-11-01"}, "updated_after must be a W3C datetime"),
    ],
)
def test_bad_search_parameters_are_400(client, world, query, message):
    response = client.get(url("requests.json"), query)
    assert response.status_code == 400
    assert message in descriptions(response)


def test_several_bad_parameters_are_reported_together(client, world):
    response = client.get(url("requests.xml"), {"page_size": "5000", "status": "x", "start_date": "soon"})
    assert response.status_code == 400
    assert len(errors_of(response, "xml")) == 3


def test_a_nul_in_a_query_parameter_is_400(client, world):
    response = client.get(url("requests.json") + "?service_code=01%00")
    assert response.status_code == 400
    assert "NUL" in descriptions(response)


# --- jurisdiction_id ---


@pytest.mark.parametrize(
    "path", ["discovery.json", "services.json", "services/0101.json", "requests.json", "tokens/abc.json"]
)
def test_an_unknown_jurisdiction_is_404_everywhere(client, world, path):
    response = client.get(url(path), {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    assert "jurisdiction_id 'sfgov.org' was not found" in descriptions(response)


def test_an_unknown_jurisdiction_is_404_for_a_create(client, valid):
    valid["jurisdiction_id"] = "999999"
    response = post_form(client, "requests.xml", valid)
    assert response.status_code == 404
    assert "jurisdiction_id '999999' was not found" in descriptions(response, "xml")


def test_a_street_code_is_not_a_jurisdiction_id(client, world):
    assert client.get(url("services.json"), {"jurisdiction_id": "360102001"}).status_code == 404


def test_the_configured_jurisdiction_alias_is_accepted(client, world, settings):
    settings.OPEN311_JURISDICTION_ID = "nc.gov.cn"
    assert client.get(url("services.json"), {"jurisdiction_id": "nc.gov.cn"}).status_code == 200
    assert client.get(url("services.json"), {"jurisdiction_id": "360102"}).status_code == 200
    assert client.get(url("services.json"), {"jurisdiction_id": ""}).status_code == 200


# --- resources, formats and methods ---


def test_an_unsupported_format_is_404_in_xml(client, world):
    response = client.get(url("services.csv"))
    assert response.status_code == 404
    assert "format 'csv' is not offered" in descriptions(response, "xml")


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("nothing.json", "json"), ("services/0101/extra.xml", "xml"), ("requests/1/2", "xml"), ("a\nb", "xml")],
)
def test_an_unknown_resource_is_404_with_an_error_body(client, world, path, fmt):
    response = client.get(url(path))
    assert response.status_code == 404
    assert "no such GeoReport v2 resource" in descriptions(response, fmt)


@pytest.mark.parametrize(("method", "path"), [("post", "services.json"), ("delete", "requests.json")])
def test_a_wrong_method_is_405_with_an_error_body(client, world, method, path):
    response = getattr(client, method)(url(path))
    assert response.status_code == 405
    assert "is not allowed here" in descriptions(response)
    assert "GET" in response["Allow"]


def test_post_needs_no_csrf_token(world, demo_key, valid):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_form(strict, "requests.json", valid).status_code == 200

"""Random input at every parameter: the server answers 200 or the spec's error list, never a 5xx."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.open311_spec import CREATE_PARAMETERS, SEARCH_PARAMETERS
from .conftest import errors_of, url

SEARCH_PARAMS = list(SEARCH_PARAMETERS)
CREATE_FIELDS = [
    *CREATE_PARAMETERS,
    "attribute[WASTE_KIND]",
    "attribute[SMELL][]",
    "attribute[VOLUME]",
    "attribute[SEEN_AT]",
    "attribute[",
]
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "1001",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "28.68",
    "115.89",
    "0101",
    "open,closed",
    "2026-11-25T00:00:00Z",
    "2026-11-25T00:00:00+08:00",
    "9999-12-31T23:59:59-23:59",
    "360102",
    "demo-open311-key",
    "household",
    "\x00",
    "<x>&",
    "%",
    "٣",
    "x" * 5000,
]
# Lone surrogates cannot be sent over HTTP at all (not UTF-8), so they are left out.
text = st.one_of(st.sampled_from(TRICKY), st.text(st.characters(exclude_categories=("Cs",)), max_size=40))
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_answered(response) -> None:
    assert response.status_code < 500
    if response.status_code >= 400:
        errors_of(response, "xml" if response["Content-Type"].startswith("text/xml") else "json")


@FUZZ
@given(query=st.dictionaries(st.sampled_from(SEARCH_PARAMS), text, max_size=6))
def test_random_search_parameters_never_fail_the_server(client, world, query):
    assert_answered(client.get(url("requests.json"), query))


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(CREATE_FIELDS), text, max_size=10), keyed=st.booleans())
def test_random_create_fields_never_fail_the_server(client, world, questions, demo_key, fields, keyed):
    if keyed:
        fields = {"api_key": demo_key.key, "service_code": "0101", "lat": "28.68", "long": "115.89", **fields}
    assert_answered(client.post(url("requests.json"), fields))


@FUZZ
@given(
    resource=st.sampled_from(["services/", "requests/", "tokens/", ""]),
    segment=st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="/?#"), min_size=1, max_size=80
    ),
)
def test_random_path_segments_never_fail_the_server(client, world, resource, segment):
    from urllib.parse import quote

    response = client.get(url(resource + quote(segment) + ".json"))
    assert response.status_code < 500, (resource, segment)
    assert_answered(response)

"""GeoReport v2's own parameter names (open311.org/GeoReport_v2), for tests that send them all."""

# POST Service Request
CREATE_PARAMETERS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
# GET Service Requests (page and page_size are this server's paging)
SEARCH_PARAMETERS = (
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "lat",
    "long",
    "radius",
    "updated_after",
    "page",
    "page_size",
)

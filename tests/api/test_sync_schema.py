"""The OpenAPI schema describes the Google connection and sync endpoints (issue 16)."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

EXPECTED = {
    "/api/v1/google/": {"get"},
    "/api/v1/google/revoke/": {"post"},
    "/api/v1/google/calendars/": {"get"},
    "/api/v1/google/calendars/dedicated/": {"post"},
    "/api/v1/google/settings/": {"get", "put", "patch"},
    "/api/v1/sync/": {"get"},
    "/api/v1/sync/now/": {"post"},
    "/api/v1/sync/runs/": {"get"},
    "/api/v1/sync/runs/{id}/": {"get"},
    "/api/v1/sync/conflicts/": {"get"},
    "/api/v1/sync/attention/": {"get", "post"},
    "/api/v1/meetings/{id}/occurrences/": {"get"},
}


@pytest.mark.django_db
def test_every_sync_endpoint_is_in_the_schema_with_its_answers():
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    paths = schema["paths"]
    for path, methods in EXPECTED.items():
        assert set(paths[path]) == methods, path
    assert {"202", "409"} <= set(paths["/api/v1/sync/attention/"]["post"]["responses"])
    assert {"400", "409"} <= set(paths["/api/v1/google/settings/"]["put"]["responses"])
    status = schema["components"]["schemas"]["GoogleConnection"]["properties"]["status"]
    assert "scope_missing" in str(schema["components"]["schemas"]) and status
    attention = schema["components"]["schemas"]["Attention"]["properties"]
    assert {"question", "kind", "answers", "meetings", "meetings_cut"} <= set(attention)


@pytest.mark.django_db
def test_the_docs_page_lists_them():
    html = Client().get("/api/docs/").content.decode()
    for path in EXPECTED:
        assert path in html

"""The OpenAPI schema is served, valid, and describes the API; the docs page is self-contained."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_the_schema_passes_drf_spectacular_validation_without_warnings(tmp_path):
    """Same as `tandem manage spectacular --validate --fail-on-warn`."""
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=io.StringIO()
    )
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_schema_is_served_as_yaml_and_json_without_signing_in():
    client = Client()
    as_yaml = client.get("/api/schema/")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content)["info"]["title"] == "Tandem CRM API"
    as_json = client.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert "/api/v1/meetings/{id}/" in json.loads(as_json.content)["paths"]


@pytest.mark.django_db
def test_the_schema_documents_every_endpoint_and_the_conventions():
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    paths = schema["paths"]
    assert set(paths["/api/v1/meetings/"]) == {"get", "post"}
    assert set(paths["/api/v1/meetings/{id}/"]) == {"get", "put", "patch", "delete"}
    assert "post" in paths["/api/v1/meetings/{id}/restore/"]
    assert "get" in paths["/api/v1/users/{username}/meetings/"]
    assert set(paths["/api/v1/meetings/{id}/occurrences/{key}/"]) == {"post", "delete"}
    meeting = schema["components"]["schemas"]["Meeting"]["properties"]
    assert meeting["series"]["readOnly"] and meeting["original_start"]["readOnly"]
    put = paths["/api/v1/meetings/{id}/"]["put"]
    assert "412" in put["responses"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in put["parameters"])
    end_date = schema["components"]["schemas"]["Meeting"]["properties"]["end_date"]
    assert "exclusive" in end_date["description"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_docs_page_lists_the_operations_and_loads_nothing_from_elsewhere():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/meetings/{id}/restore/" in html
    assert "exclusive" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)

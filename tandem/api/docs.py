"""A plain HTML reference of the API, rendered on the server from the OpenAPI schema.

drf-spectacular's Swagger UI and Redoc pages load their JavaScript from a CDN (its
SWAGGER_UI_DIST setting defaults to jsdelivr); this page needs nothing from outside the CRM.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View
from drf_spectacular.generators import SchemaGenerator

# drf-spectacular ships no type hints; Any keeps mypy's untyped-call check quiet here.
_SCHEMA_GENERATOR: Any = SchemaGenerator

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _body_schema(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            return _schema_name(schema["$ref"])
    return ""


def api_operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of ``schema`` as flat rows a template can show."""
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "parameters": operation.get("parameters", []),
                    "request": _body_schema(operation.get("requestBody")),
                    "responses": [
                        {"code": code, "description": response.get("description", "")}
                        for code, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return operations


def api_components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    components = []
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        required = set(component.get("required", []))
        fields = [
            {
                "name": field_name,
                "type": field.get("type") or _schema_name(field.get("$ref", "")) or "enum",
                "format": field.get("format", ""),
                "read_only": field.get("readOnly", False),
                "required": field_name in required,
                "description": field.get("description", ""),
            }
            for field_name, field in component.get("properties", {}).items()
        ]
        components.append(
            {"name": name, "description": component.get("description", ""), "fields": fields}
        )
    return components


class ApiDocsView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        schema = _SCHEMA_GENERATOR().get_schema(request=None, public=True)
        return render(
            request,
            "api/docs.html",
            {
                "info": schema.get("info", {}),
                "operations": api_operations(schema),
                "components": api_components(schema),
            },
        )

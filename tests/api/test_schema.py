"""The OpenAPI schema at /api/v1/schema is valid OpenAPI 3 and documents the problems."""

import pytest
from django.test import Client
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    response = Client().get("/api/v1/schema")
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_as_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any violation of the OpenAPI 3 specification


def test_the_validator_would_catch_a_broken_schema(schema):
    broken = {**schema, "paths": {"/x": {"get": {"responses": {"200": {"content": 7}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_operation_needs_a_bearer_token_and_names_its_problems(schema):
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security") == [{"TokenAuth": []}], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
            if method == "post":
                assert "409" in operation["responses"], (method, path)


def test_the_clock_and_metrics_are_documented(schema):
    assert "get" in schema["paths"]["/api/v1/releases/{ref}/clock"]
    metrics = schema["paths"]["/api/v1/metrics"]["get"]
    assert {p["name"] for p in metrics["parameters"]} == {"days", "start", "end", "target"}

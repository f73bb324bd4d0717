"""The harness's reading of Lambda authorizers against AWS's SAM transform (harness.sources.authorizer_agreement):
agreement on the authorizer patterns, and each kind of difference named when the transform says otherwise."""
import copy
from pathlib import Path

import pytest

from harness import sam_translate
from harness.sam_agreement import disagreements
from harness.template import load_template

PATTERNS = Path(__file__).parents[1] / "sam" / "patterns"
AUTHORIZER_PATTERNS = ("rest_token_authorizer", "rest_request_authorizer", "http_api_authorizer_simple",
                       "http_api_authorizer_policy")


@pytest.mark.parametrize("pattern", AUTHORIZER_PATTERNS)
def test_the_authorizer_patterns_read_as_sams_transform_writes_them(pattern):
    path = PATTERNS / pattern / "template.yaml"
    assert disagreements(load_template(path), sam_translate.translate(path)) == []


def _changed(pattern, api, change):
    path = PATTERNS / pattern / "template.yaml"
    translation = copy.deepcopy(sam_translate.translate(path))
    change(translation.resources[api]["Properties"]["Body"])
    return disagreements(load_template(path), translation)


def test_a_different_validation_expression_or_ttl_is_a_disagreement():
    def change(body):
        extension = body["securityDefinitions"]["TokenAuthorizer"]["x-amazon-apigateway-authorizer"]
        extension["identityValidationExpression"] = "^x-.*$"
        extension["authorizerResultTtlInSeconds"] = 60
    found = _changed("rest_token_authorizer", "ItemsApi", change)
    assert any("authorizer 'TokenAuthorizer' validation: the harness reads '^tok-[a-z]+$', SAM's transform "
               "writes '^x-.*$'" in f for f in found)
    assert any("authorizer 'TokenAuthorizer' ttl: the harness reads 300, SAM's transform writes 60" in f for f in found)


def test_a_route_the_transform_leaves_public_is_a_disagreement():
    def change(body):
        body["paths"]["/orders"]["get"]["security"] = [{"NONE": []}]
    found = _changed("http_api_authorizer_simple", "OrdersApi", change)
    assert any("event OrdersFunction.List (HttpApi): the harness protects the route with TokenAuthorizer, SAM's "
               "transform with none" in f for f in found)


def test_identity_sources_and_simple_responses_are_compared():
    def change(body):
        extension = body["components"]["securitySchemes"]["TokenAuthorizer"]["x-amazon-apigateway-authorizer"]
        extension["identitySource"] = ["$request.header.X-Other"]
        extension["enableSimpleResponses"] = False
    found = _changed("http_api_authorizer_simple", "OrdersApi", change)
    assert any("identity: the harness reads ['$request.header.Authorization']" in f for f in found)
    assert any("simple responses: the harness reads True, SAM's transform writes False" in f for f in found)

"""Lambda authorizers of REST and HTTP APIs (harness.sources.authorizers), run through the pattern templates in
tests/harness/sam/patterns/*authorizer*: identity sources, responses, caching on the virtual clock, and the
context the integration receives."""
import json
from pathlib import Path

import pytest

from harness import Simulation
from harness.errors import InputError

PATTERNS = Path(__file__).parents[1] / "sam" / "patterns"


def _calls(sim, function):
    return [r for r in sim.invocations if r.function.endswith(function)]


def _events(sim, function):
    """The events a pattern's authorizer printed."""
    return [json.loads(line) for r in _calls(sim, function) for line in r.logs if line.startswith("{")]


def test_http_api_simple_response_allows_with_its_context_under_lambda():
    with Simulation(PATTERNS / "http_api_authorizer_simple" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        response = sim.http("GET", "/orders", headers={"Authorization": "allow-ann"})
        assert response.status == 200
        assert response.json()["authorizer"] == {
            "lambda": {"user": "ann", "tier": 2, "admin": False, "groups": ["a", "b"]}}


def test_http_api_missing_identity_source_is_401_without_calling_the_authorizer():
    with Simulation(PATTERNS / "http_api_authorizer_simple" / "template.yaml", seed=1) as sim:
        response = sim.http("GET", "/orders")
        assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
        assert _calls(sim, "AuthorizerFunction") == [] and _calls(sim, "OrdersFunction") == []


def test_http_api_simple_denial_is_403_and_an_authorizer_error_is_500():
    with Simulation(PATTERNS / "http_api_authorizer_simple" / "template.yaml", seed=1) as sim:
        denied = sim.http("GET", "/orders", headers={"Authorization": "nope"})
        assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})
        broken = sim.http("GET", "/orders", headers={"Authorization": "boom"})
        assert (broken.status, broken.json()) == (500, {"message": "Internal Server Error"})
        assert _calls(sim, "OrdersFunction") == []


def test_http_api_result_is_cached_by_identity_source_until_its_ttl_passes_on_the_virtual_clock():
    with Simulation(PATTERNS / "http_api_authorizer_simple" / "template.yaml", seed=1) as sim:
        allow = {"Authorization": "allow-ann"}
        for _ in range(3):
            assert sim.http("GET", "/orders", headers=allow).status == 200
        assert len(_calls(sim, "AuthorizerFunction")) == 1
        assert sim.http("GET", "/orders", headers={"Authorization": "allow-bob"}).status == 200
        assert len(_calls(sim, "AuthorizerFunction")) == 2  # another identity, another call
        sim.advance(59)
        assert sim.http("GET", "/orders", headers=allow).status == 200
        assert len(_calls(sim, "AuthorizerFunction")) == 2
        sim.advance(2)  # ReauthorizeEvery: 60
        assert sim.http("GET", "/orders", headers=allow).status == 200
        assert len(_calls(sim, "AuthorizerFunction")) == 3
        outcomes = [e.data["outcome"] for e in sim.trace.events if e.kind == "authorizer"]
        assert outcomes.count("cached: allow") == 3


def test_a_route_with_authorizer_none_is_public():
    with Simulation(PATTERNS / "http_api_authorizer_simple" / "template.yaml", seed=1) as sim:
        response = sim.http("GET", "/health")
        assert response.json() == {"ok": True, "authorizer": None}
        assert _calls(sim, "AuthorizerFunction") == []


def test_http_api_payload_1_policy_allows_only_what_its_statement_covers():
    with Simulation(PATTERNS / "http_api_authorizer_policy" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        read = sim.http("GET", "/reports/7", query={"key": "reader"})
        assert read.status == 200
        # integration payload 1.0: the context flattened into requestContext.authorizer
        assert "'team': 'finance'" in read.body and "'principalId': 'reader'" in read.body
        removed = sim.http("DELETE", "/reports/7", query={"key": "reader"})
        assert (removed.status, removed.json()) == (403, {"message": "Forbidden"})  # no Allow covers DELETE
        stranger = sim.http("GET", "/reports/7", query={"key": "someone"})
        assert stranger.status == 403  # explicit Deny
        assert sim.http("GET", "/reports/7").status == 401  # the key query string is an identity source


def test_http_api_authorizer_event_1_carries_identity_source_and_method_arn():
    with Simulation(PATTERNS / "http_api_authorizer_policy" / "template.yaml", seed=1) as sim:
        sim.http("GET", "/reports/7", query={"key": "reader"})
        (event,) = _events(sim, "AuthorizerFunction")
        assert event["version"] == "1.0" and event["type"] == "REQUEST"
        assert event["identitySource"] == event["authorizationToken"] == "reader,GET /reports/{id}"
        assert event["methodArn"].endswith("/$default/GET/reports/7")


def test_rest_token_authorizer_passes_stringified_context_with_principal_and_latency():
    with Simulation(PATTERNS / "rest_token_authorizer" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        response = sim.http("GET", "/prod/items", headers={"X-Api-Token": "tok-ann"})
        assert response.status == 200
        assert response.json() == {"user": "ann", "level": "3", "verified": "true", "principalId": "ann",
                                   "integrationLatency": 0}
        (event,) = _events(sim, "AuthorizerFunction")
        assert event == {"type": "TOKEN", "authorizationToken": "tok-ann", "methodArn": event["methodArn"]}
        assert event["methodArn"].endswith("/prod/GET/items")


@pytest.mark.parametrize("headers, status, body, invoked", [
    ({}, 401, {"message": "Unauthorized"}, 0),                               # no token header
    ({"X-Api-Token": "Bearer x"}, 401, {"message": "Unauthorized"}, 0),      # fails ValidationExpression
    ({"X-Api-Token": "tok-unauthorized"}, 401, {"message": "Unauthorized"}, 1),
    ({"X-Api-Token": "tok-broken"}, 500, {"message": None}, 1),
    ({"X-Api-Token": "tok-deny"}, 403,
     {"Message": "User is not authorized to access this resource with an explicit deny"}, 1),
])
def test_rest_token_authorizer_refusals(headers, status, body, invoked):
    with Simulation(PATTERNS / "rest_token_authorizer" / "template.yaml", seed=1) as sim:
        response = sim.http("GET", "/prod/items", headers=headers)
        assert (response.status, response.json()) == (status, body)
        assert len(_calls(sim, "AuthorizerFunction")) == invoked
        assert _calls(sim, "ItemsFunction") == []


def test_rest_cached_policy_for_one_method_refuses_another_method_until_it_expires():
    with Simulation(PATTERNS / "rest_token_authorizer" / "template.yaml", seed=1) as sim:
        token = {"X-Api-Token": "tok-ann"}
        assert sim.http("GET", "/prod/items", headers=token).status == 200
        created = sim.http("POST", "/prod/items", headers=token)  # the cached policy names GET /items only
        assert (created.status, created.json()) == (403, {"Message": "User is not authorized to access this resource"})
        assert len(_calls(sim, "AuthorizerFunction")) == 1
        sim.advance(301)  # the default TTL of a REST authorizer is 300 s
        assert sim.http("POST", "/prod/items", headers=token).status == 200
        assert len(_calls(sim, "AuthorizerFunction")) == 2


def test_rest_request_authorizer_without_caching_is_called_even_when_identity_is_missing():
    with Simulation(PATTERNS / "rest_request_authorizer" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        ok = sim.http("GET", "/Prod/tenants/t1", headers={"X-Tenant": "acme"}, query={"key": "acme-key"})
        assert ok.status == 200
        assert ok.json() == {"path": {"id": "t1"}, "authorizer": {"tenant": "acme", "principalId": "acme",
                                                                  "integrationLatency": 0}}
        missing = sim.http("GET", "/Prod/tenants/t1")
        assert missing.status == 401
        assert len(_calls(sim, "AuthorizerFunction")) == 2  # ReauthorizeEvery 0: no validation, no cache
        assert sim.http("GET", "/Prod/ping").status == 200
        event = _events(sim, "AuthorizerFunction")[0]
        assert event["type"] == "REQUEST" and event["methodArn"].endswith("/Prod/GET/tenants/t1")
        assert event["pathParameters"] == {"id": "t1"} and event["queryStringParameters"] == {"key": "acme-key"}


def test_an_unknown_authorizer_name_is_an_error_naming_the_declared_ones(tmp_path):
    source = (PATTERNS / "rest_token_authorizer" / "template.yaml").read_text()
    (tmp_path / "src").symlink_to(PATTERNS / "rest_token_authorizer" / "src")
    (tmp_path / "template.yaml").write_text(source.replace(
        "Path: /items, Method: POST}", "Path: /items, Method: POST, Auth: {Authorizer: TokenAuthoriser}}"))
    with pytest.raises(InputError, match="did you mean 'TokenAuthorizer'"), \
            Simulation(tmp_path / "template.yaml", seed=1):
        pass


def test_cognito_authorizers_and_api_keys_are_warned_about_by_name(write_app):
    template = write_app("""
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ApiKeyRequired: true
        Authorizers:
          Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/x}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /, Method: GET, Auth: {Authorizer: Pool, ApiKeyRequired: true}}
""", "def handler(event, context):\n    return {}\n")
    with pytest.warns(Warning), Simulation(template, seed=1) as sim:
        warnings = "\n".join(sim.warnings)
    assert "Api.Auth.ApiKeyRequired is not emulated" in warnings
    assert "Api.Auth.Authorizers.Pool is not a Lambda authorizer" in warnings
    assert "event 'Get': Auth.ApiKeyRequired is not emulated" in warnings


def test_a_scenario_injects_an_authorizer_timeout_and_sees_api_gateways_500():
    from harness.scenario import load_scenario, run_scenario
    result = run_scenario(load_scenario(PATTERNS / "rest_token_authorizer" / "authorizer_down.yaml"))
    assert result.passed, result.report()

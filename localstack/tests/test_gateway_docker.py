"""Smoke tests through the deployed gateway: need Lambda execution, so Docker (see conftest)."""

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode

import pytest

from conftest import REPO, resources_of


def _outputs(client, assembly):
    cfn = client("cloudformation")
    found = {}
    for stack in assembly:
        for output in cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", []):
            found[output["OutputKey"]] = output["OutputValue"]
    return found


def _one(outputs, fragment):
    matches = [value for key, value in outputs.items() if fragment in key]
    assert matches, f"no stack output named like {fragment}"
    return matches[0]


@pytest.fixture(scope="module")
def gateway(assembly, physical_ids, client, endpoint):
    """LocalStack's URL for the REST API's stage: /restapis/{id}/{stage}/_user_request_."""
    (stack, logical_id, _), = resources_of(assembly, "AWS::ApiGateway::RestApi")
    (_, _, stage), = resources_of(assembly, "AWS::ApiGateway::Stage")[:1]
    return f"{endpoint}/restapis/{physical_ids[stack][logical_id]}/{stage['StageName']}/_user_request_"


def _call(url, method="GET", headers=None, body=None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def signing_keys(assembly, client):
    """The LocalStack target has no deploy-time trigger (a Custom::* resource): one rotation step,
    invoked as the trigger would, creates the first signing keys."""
    rotation = _one(_outputs(client, assembly), "KeyRotationFunctionName")
    answer = client("lambda").invoke(FunctionName=rotation, Payload=b"{}")
    assert "FunctionError" not in answer, answer["Payload"].read()


@pytest.fixture(scope="module")
def token(assembly, client, aws_env, gateway, signing_keys):
    outputs = _outputs(client, assembly)
    registered = subprocess.run(
        [
            "npx", "tsx", "bin/register-client.ts",
            "--client-id", "localstack-suite",
            "--scopes", "reading-list/read reading-list/write",
            "--clients-table", _one(outputs, "ClientsTableName"),
            "--usage-keys-parameter", _one(outputs, "UsageKeysParameterName"),
            "--usage-plan", _one(outputs, "DefaultUsagePlanId"),
        ],
        cwd=REPO, env=aws_env, capture_output=True, text=True, check=True,
    )
    credentials = json.loads(registered.stdout)
    basic = b64encode(f"{credentials['clientId']}:{credentials['clientSecret']}".encode()).decode()
    status, body = _call(
        f"{gateway}/oauth2/token",
        method="POST",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        body=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
    )
    assert status == 200, body
    return json.loads(body)["access_token"]


def test_health_is_public_and_up(gateway):
    status, body = _call(f"{gateway}/reading-list/health")
    assert status == 200, body
    assert json.loads(body)["status"] == "UP"


def test_a_protected_route_refuses_a_call_without_a_token(gateway):
    status, _ = _call(f"{gateway}/reading-list?userId=ada")
    assert status == 401


def test_a_protected_route_answers_with_a_token(gateway, token):
    status, body = _call(
        f"{gateway}/reading-list?userId=ada", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200, body

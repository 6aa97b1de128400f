"""LocalStack 4.14.0 suite: deploys the example app with cdklocal and checks what it creates.

Two ways to get LocalStack:
- a Docker engine answers: localstack-utils starts the community image localstack/localstack:4.14.0
  (not the pro image the library defaults to), and every test file is collected;
- no Docker engine (CI here): the host-mode LocalStack the lane started (LOCALSTACK_ENDPOINT,
  `npm run test:localstack`), and the files that need Lambda execution (*_docker.py) are not
  collected at all: they could not run there, so they are not reported as skipped.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path

import boto3
import pytest

LOCALSTACK_VERSION = "4.14.0"
IMAGE = f"localstack/localstack:{LOCALSTACK_VERSION}"
REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "000000000000"


def docker_engine_available() -> bool:
    """A Docker engine that answers, not just a docker CLI on the PATH."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


DOCKER = docker_engine_available()
# Files that need Lambda execution (Docker) are left out of collection without an engine.
collect_ignore_glob = [] if DOCKER else ["*_docker.py"]


def pytest_report_header(config):
    if DOCKER:
        return f"LocalStack: {IMAGE} in Docker (localstack-utils); every check collected"
    return (
        f"LocalStack: {LOCALSTACK_VERSION} in host mode at {os.environ.get('LOCALSTACK_ENDPOINT')}; "
        "no Docker engine, so *_docker.py (gateway smoke tests needing Lambda) not collected"
    )


def _start_in_docker() -> str:
    from localstack_utils import container
    from localstack_utils.localstack import startup_localstack

    # localstack-utils cannot mount volumes; LocalStack runs functions as sibling containers
    # through the engine's socket, so the socket is added to the container it starts.
    run = container.DOCKER_CLIENT.containers.run
    container.DOCKER_CLIENT.containers.run = functools.partial(
        run, volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}}
    )
    startup_localstack(
        image_name=IMAGE,
        tag=LOCALSTACK_VERSION,
        env_variables={"CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1"},
        auto_remove_container=True,
    )
    return "http://localhost:4566"


@pytest.fixture(scope="session")
def endpoint():
    if DOCKER:
        from localstack_utils.localstack import stop_localstack

        url = _start_in_docker()
        yield url
        stop_localstack()
        return
    url = os.environ.get("LOCALSTACK_ENDPOINT")
    if not url:
        pytest.exit(
            "No Docker engine and no LOCALSTACK_ENDPOINT: run this suite through "
            "`npm run test:localstack` (host-mode LocalStack), or with Docker running.",
            returncode=2,
        )
    yield url


@pytest.fixture(scope="session")
def aws_env(endpoint):
    """The environment cdklocal and the clients use: every AWS call to LocalStack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        # cdklocal's default S3 host (localhost.localstack.cloud) does not resolve offline.
        AWS_ENDPOINT_URL_S3=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        CDK_DISABLE_CLI_TELEMETRY="true",
    )
    return env


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise AssertionError(f"{' '.join(args[:3])} failed ({done.returncode}):\n{tail}")


@pytest.fixture(scope="session")
def assembly(aws_env):
    """The example app synthesized for a LocalStack target, then deployed with cdklocal."""
    out = Path(tempfile.mkdtemp(prefix="cdk-localstack-", dir=REPO / ".local"))
    cdklocal = str(REPO / "node_modules" / ".bin" / "cdklocal")
    _run(
        [cdklocal, "synth", "--quiet", "-o", str(out), "-c", "serverless-msa:target=localstack"],
        aws_env,
    )
    _run([cdklocal, "bootstrap", f"aws://{ACCOUNT}/{REGION}", "--app", str(out)], aws_env)
    _run(
        [cdklocal, "deploy", "--all", "--require-approval", "never", "--app", str(out)], aws_env
    )
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {
        name: json.loads((out / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    return stacks


@pytest.fixture(scope="session")
def client(endpoint):
    def make(service: str):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return make


@pytest.fixture(scope="session")
def physical_ids(assembly, client):
    """stack -> logical ID -> physical ID, as LocalStack's CloudFormation reports them."""
    cfn = client("cloudformation")
    ids = {}
    for stack in assembly:
        paginator = cfn.get_paginator("list_stack_resources")
        ids[stack] = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId")
            for page in paginator.paginate(StackName=stack)
            for r in page["StackResourceSummaries"]
        }
    return ids


def resources_of(assembly, resource_type):
    """(stack, logical ID, properties) of every resource of that type the templates declare."""
    return [
        (stack, logical_id, resource.get("Properties", {}))
        for stack, template in assembly.items()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    ]

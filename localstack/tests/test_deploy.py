"""What a cdklocal deploy of the example app creates in LocalStack (host mode or Docker)."""

import json
import uuid

from conftest import resources_of


def test_every_stack_reaches_create_complete(assembly, client):
    # cdklocal can exit 0 for a stack it did not deploy (e.g. one left in DELETE_FAILED):
    # the stack status is the evidence, not the exit code.
    cfn = client("cloudformation")
    assert assembly, "the app has no stacks"
    for stack in assembly:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        assert status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), f"{stack}: {status}"


# What the LocalStack target (-c serverless-msa:target=localstack) leaves out: LocalStack 4.14
# community reports these created without creating anything (their references resolve to
# "unknown"), or cannot create them offline (the OpenSearch domain).
NOT_ON_LOCALSTACK = (
    "AWS::ServiceDiscovery::",
    "AWS::AppConfig::",
    "Custom::",
    "AWS::CloudFormation::CustomResource",
    "AWS::OpenSearchService::Domain",
)


def test_the_app_was_synthesized_for_the_localstack_target(assembly):
    for stack, template in assembly.items():
        for logical_id, resource in template["Resources"].items():
            assert not resource["Type"].startswith(NOT_ON_LOCALSTACK), f"{stack}/{logical_id}"
            tracing = resource.get("Properties", {}).get("TracingConfig", {})
            assert tracing.get("Mode") != "Active", f"{stack}/{logical_id}: X-Ray tracing"


# Types the platform keeps on LocalStack although 4.14 community has no CloudFormation provider
# for them (reported created, nothing is, physical ID "unknown"): nothing at run time reads them
# (schemas document events, the archive serves replays, dashboards and log metric filters feed
# CloudWatch views and alarms), so the deploy and the services work without them.
NO_COMMUNITY_PROVIDER = {
    "AWS::CloudWatch::Dashboard",
    "AWS::EventSchemas::Registry",
    "AWS::EventSchemas::Schema",
    "AWS::Events::Archive",
    "AWS::Logs::MetricFilter",
}


def test_every_declared_resource_is_created_with_a_physical_id(assembly, client):
    """Nothing else is reported created without being created (what LocalStack does for a type
    it has no provider for)."""
    cfn = client("cloudformation")
    for stack, template in assembly.items():
        summaries = {
            r["LogicalResourceId"]: r
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
            for r in page["StackResourceSummaries"]
        }
        declared = {
            logical_id
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] != "AWS::CDK::Metadata"
        }
        assert declared <= summaries.keys(), f"{stack}: {sorted(declared - summaries.keys())}"
        for logical_id in declared:
            summary = summaries[logical_id]
            assert summary["ResourceStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), logical_id
            created = summary.get("PhysicalResourceId") not in (None, "", "unknown")
            kept_without_provider = template["Resources"][logical_id]["Type"] in NO_COMMUNITY_PROVIDER
            assert created != kept_without_provider, (
                f"{stack}/{logical_id} ({summary['ResourceType']}): physical ID "
                f"{summary.get('PhysicalResourceId')!r}"
            )


def test_every_function_is_created_and_active(assembly, physical_ids, client):
    """In host mode (no Docker) the lane's create-only executor creates functions without
    running them; with Docker they run too (the *_docker.py checks call them)."""
    functions = resources_of(assembly, "AWS::Lambda::Function")
    assert functions, "no function declared"
    lambda_ = client("lambda")
    for stack, logical_id, _ in functions:
        configuration = lambda_.get_function(FunctionName=physical_ids[stack][logical_id])[
            "Configuration"
        ]
        assert configuration["State"] == "Active", logical_id
        assert "TracingConfig" not in configuration or configuration["TracingConfig"][
            "Mode"
        ] != "Active", logical_id


def test_the_last_service_deployment_is_what_the_stage_serves(assembly, physical_ids, client):
    """Services put their routes on the platform's stage with a plain deployment (no custom
    resource on LocalStack); the stack deployed last (reading-list) made the stage's current one."""
    deployments = resources_of(assembly, "AWS::ApiGateway::Deployment")
    services = [d for d in deployments if "StageName" in d[2]]
    assert len(services) == 2, services
    apigateway = client("apigateway")
    (api_stack, api_id, _), = resources_of(assembly, "AWS::ApiGateway::RestApi")
    rest_api_id = physical_ids[api_stack][api_id]
    for stack, logical_id, properties in services:
        deployment_id = physical_ids[stack][logical_id]
        assert apigateway.get_deployment(restApiId=rest_api_id, deploymentId=deployment_id)["id"]
    last = next(d for d in services if d[0].endswith("ReadingList"))
    stage = apigateway.get_stage(restApiId=rest_api_id, stageName=last[2]["StageName"])
    assert stage["deploymentId"] == physical_ids[last[0]][last[1]]


def test_the_rest_api_exists_with_every_declared_resource_path(assembly, physical_ids, client):
    apis = resources_of(assembly, "AWS::ApiGateway::RestApi")
    assert apis, "no REST API declared"
    apigateway = client("apigateway")
    declared = resources_of(assembly, "AWS::ApiGateway::Resource")
    for stack, logical_id, _ in apis:
        api_id = physical_ids[stack][logical_id]
        paths = {
            r["path"]
            for page in apigateway.get_paginator("get_resources").paginate(restApiId=api_id)
            for r in page["items"]
        }
        # Every declared path part appears as the last segment of some created path.
        parts = {properties["PathPart"] for _, _, properties in declared}
        missing = {p for p in parts if not any(path.split("/")[-1] == p for path in paths)}
        assert not missing, f"paths not created: {sorted(missing)}"
    authorizers = resources_of(assembly, "AWS::ApiGateway::Authorizer")
    assert authorizers, "no authorizer declared"
    for stack, logical_id, properties in authorizers:
        created = apigateway.get_authorizer(
            restApiId=_ref(properties["RestApiId"], stack, physical_ids),
            authorizerId=physical_ids[stack][logical_id],
        )
        assert created["type"] == properties["Type"]


def _ref(value, stack, physical_ids):
    """A property that is a Ref to another resource, or an imported/plain value."""
    if isinstance(value, dict) and "Ref" in value:
        return physical_ids[stack][value["Ref"]]
    raise AssertionError(f"cannot resolve {value!r} without the deployed stack's outputs")


def test_every_declared_table_is_active(assembly, physical_ids, client):
    tables = resources_of(assembly, "AWS::DynamoDB::Table")
    assert tables, "no table declared"
    dynamodb = client("dynamodb")
    for stack, logical_id, properties in tables:
        table = dynamodb.describe_table(TableName=physical_ids[stack][logical_id])["Table"]
        assert table["TableStatus"] == "ACTIVE", logical_id
        assert table["KeySchema"] == properties["KeySchema"], logical_id


def test_every_declared_parameter_holds_its_value(assembly, physical_ids, client):
    parameters = resources_of(assembly, "AWS::SSM::Parameter")
    assert parameters, "no parameter declared"
    ssm = client("ssm")
    for stack, logical_id, properties in parameters:
        name = physical_ids[stack][logical_id]
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        if isinstance(properties.get("Value"), str):
            assert value == properties["Value"], name
        else:
            assert value, name


def test_every_rule_exists_with_its_targets_and_queue_targets_get_published_events(
    assembly, physical_ids, client
):
    """Rules and targets are created; where a rule routes to a queue, an event published to
    its bus arrives there (EventBridge -> SQS is served in host mode, no Lambda involved)."""
    rules = resources_of(assembly, "AWS::Events::Rule")
    assert rules, "no rule declared"
    events, sqs = client("events"), client("sqs")
    queues = resources_of(assembly, "AWS::SQS::Queue")
    for stack, logical_id, properties in rules:
        bus = properties.get("EventBusName")
        bus_name = _bus_name(assembly[stack], physical_ids[stack], bus, client("ssm"))
        rule_name = physical_ids[stack][logical_id].split("|")[-1]
        scope = {"EventBusName": bus_name} if bus_name else {}
        rule = events.describe_rule(Name=rule_name, **scope)
        assert rule["State"] == properties.get("State", "ENABLED"), logical_id
        targets = events.list_targets_by_rule(Rule=rule_name, **scope)["Targets"]
        assert len(targets) == len(properties.get("Targets", [])), logical_id

        pattern = properties.get("EventPattern")
        for target in properties.get("Targets", []):
            if not pattern or not _is_queue(target, queues):
                continue
            queue_url = physical_ids[stack][target["Arn"]["Fn::GetAtt"][0]]
            marker = str(uuid.uuid4())
            entry = {
                "Source": pattern["source"][0],
                "DetailType": pattern["detail-type"][0],
                "Detail": json.dumps({"marker": marker}),
                **scope,
            }
            assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
            bodies = []
            for _ in range(10):
                got = sqs.receive_message(
                    QueueUrl=queue_url, WaitTimeSeconds=2, MaxNumberOfMessages=10
                )
                bodies += [m["Body"] for m in got.get("Messages", [])]
                if any(marker in body for body in bodies):
                    break
            assert any(marker in body for body in bodies), f"{logical_id}: event not delivered"


def _is_queue(target, queues):
    ref = target.get("Arn", {}).get("Fn::GetAtt", [None])[0]
    return any(logical_id == ref for _, logical_id, _ in queues)


def _bus_name(template, ids, bus, ssm):
    """A rule's bus: a literal, a bus of the same stack, or (in a service stack) an SSM-typed
    parameter whose default names the parameter the platform stack published."""
    if not (isinstance(bus, dict) and "Ref" in bus):
        return bus
    ref = bus["Ref"]
    if ref in ids:
        return ids[ref]
    parameter = template.get("Parameters", {}).get(ref, {})
    return ssm.get_parameter(Name=parameter["Default"])["Parameter"]["Value"]

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

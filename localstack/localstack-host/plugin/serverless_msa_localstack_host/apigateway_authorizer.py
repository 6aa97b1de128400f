"""CloudFormation for AWS::ApiGateway::Authorizer, which LocalStack 4.14 community lacks.

Without a provider, LocalStack reports the authorizer created (CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES)
but creates nothing, and every method that names it fails ("Invalid authorizer ID"), so the stack
rolls back. This provider makes the same CreateAuthorizer call CloudFormation makes on AWS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import localstack.services.cloudformation.provider_utils as util
from localstack.services.cloudformation.resource_provider import (
    CloudFormationResourceProviderPlugin,
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)


class AuthorizerProperties(TypedDict, total=False):
    RestApiId: str
    Name: str
    Type: str
    AuthorizerId: str
    AuthorizerUri: str
    AuthorizerCredentials: str
    AuthorizerResultTtlInSeconds: int
    IdentitySource: str
    IdentityValidationExpression: str
    ProviderARNs: list[str]
    AuthType: str


# CloudFormation property -> CreateAuthorizer parameter
_PARAMETERS = {
    "Name": "name",
    "Type": "type",
    "AuthorizerUri": "authorizerUri",
    "AuthorizerCredentials": "authorizerCredentials",
    "AuthorizerResultTtlInSeconds": "authorizerResultTtlInSeconds",
    "IdentitySource": "identitySource",
    "IdentityValidationExpression": "identityValidationExpression",
    "ProviderARNs": "providerARNs",
    "AuthType": "authType",
}


class ApiGatewayAuthorizerProvider(ResourceProvider[AuthorizerProperties]):
    TYPE = "AWS::ApiGateway::Authorizer"
    # Its primaryIdentifier is AuthorizerId alone: LocalStack joins a composite identifier into
    # the physical ID, and `Ref` must give the bare authorizer ID, as on AWS.
    SCHEMA = util.get_schema_path(Path(__file__))

    def create(self, request: ResourceRequest[AuthorizerProperties]) -> ProgressEvent:
        model = request.desired_state
        if not model.get("Name"):
            model["Name"] = util.generate_default_name(
                request.stack_name, request.logical_resource_id
            )
        parameters = {
            _PARAMETERS[key]: value for key, value in model.items() if key in _PARAMETERS
        }
        if "authorizerResultTtlInSeconds" in parameters:
            parameters["authorizerResultTtlInSeconds"] = int(
                parameters["authorizerResultTtlInSeconds"]
            )
        created = request.aws_client_factory.apigateway.create_authorizer(
            restApiId=model["RestApiId"], **parameters
        )
        model["AuthorizerId"] = created["id"]
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def read(self, request: ResourceRequest[AuthorizerProperties]) -> ProgressEvent:
        raise NotImplementedError

    def delete(self, request: ResourceRequest[AuthorizerProperties]) -> ProgressEvent:
        model = request.desired_state
        api = request.aws_client_factory.apigateway
        try:
            api.delete_authorizer(restApiId=model["RestApiId"], authorizerId=model["AuthorizerId"])
        except api.exceptions.NotFoundException:
            pass
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def update(self, request: ResourceRequest[AuthorizerProperties]) -> ProgressEvent:
        raise NotImplementedError


class ApiGatewayAuthorizerProviderPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::ApiGateway::Authorizer"

    def __init__(self):
        self.factory: type[ResourceProvider] | None = None

    def load(self):
        self.factory = ApiGatewayAuthorizerProvider

"""DynamoDB for LocalStack without DynamoDB Local: LocalStack's bundled moto backend serves it.

LocalStack's own DynamoDB starts DynamoDB Local (Java and a jar downloaded at run time; its licence
rules it out here), so in host mode every table fails and a stack declaring one rolls back.
PROVIDER_OVERRIDE_DYNAMODB=moto serves the DynamoDB API from moto inside LocalStack instead, the
way LocalStack community serves SSM or Secrets Manager, so CloudFormation can create the tables.
"""

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.services.plugins import Service, aws_provider


class MotoDynamoDBProvider(DynamodbApi):
    """No operation of its own: every call falls through to moto."""


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto():
    from localstack.services.moto import MotoFallbackDispatcher

    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=MotoFallbackDispatcher)

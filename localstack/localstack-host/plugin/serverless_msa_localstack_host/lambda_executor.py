"""A Lambda runtime executor for LocalStack without Docker: functions are created, never run.

LocalStack runs functions in containers; in host mode there is none, and its Docker executor fails
while *creating* a function (it downloads its runtime and pulls an image first), so a
CloudFormation stack with functions rolls back. With this executor (LAMBDA_RUNTIME_EXECUTOR=
create-only) CreateFunction, versions, aliases and permissions behave as usual and the function
reaches Active; an invocation fails with a clear error instead of running anything.
"""

from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

NO_EXECUTION = (
    "Lambda execution needs Docker: this LocalStack runs in host mode with the create-only "
    "executor (functions are created, not run)"
)


class CreateOnlyRuntimeExecutor(RuntimeExecutor):
    def start(self, env_vars: dict[str, str]) -> None:
        raise LambdaRuntimeException(NO_EXECUTION)

    def stop(self) -> None:
        pass

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return ""

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        raise LambdaRuntimeException(NO_EXECUTION)

    def get_logs(self) -> str:
        return ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        # Nothing to prepare: no image, no runtime download, no unpacked code.
        pass

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass


class CreateOnlyRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "create-only"

    def load(self, *args, **kwargs):
        return CreateOnlyRuntimeExecutor

"""Lambda runtime emulator: containers, sync/async invoke, retries, destinations, timeouts, concurrency."""
from harness.lambda_runtime.config import Destination, FunctionConfig
from harness.lambda_runtime.runtime import InvocationResult, InvokeRequest, LambdaRuntime

__all__ = ["Destination", "FunctionConfig", "InvocationResult", "InvokeRequest", "LambdaRuntime"]

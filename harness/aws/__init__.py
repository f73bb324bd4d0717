"""AWS side of the simulation: backends, the botocore request router and resource deployment."""
from harness.aws import localstack  # noqa: F401 - registers the "localstack" backend

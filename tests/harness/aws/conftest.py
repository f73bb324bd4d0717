"""Fixtures shared by the AWS-layer tests."""
import pytest


@pytest.fixture
def dummy_aws(monkeypatch):
    """Dummy credentials and region, no endpoint override or SSL key log from the machine: clients made by the test
    are the same everywhere."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    return monkeypatch

"""Safety by construction: dummy credentials and loopback-only networking while a simulation runs.

The network seal itself (audit hooks) lives in harness.sandbox; this module builds the environment handler
code sees."""
from __future__ import annotations

import os

from harness.sandbox.credentials import empty_home
from harness.sandbox.network import RefusedConnection

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Variables that could point an SDK at a real account or real endpoint; removed inside the simulation.
STRIPPED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN", "AWS_CA_BUNDLE", "AWS_STS_REGIONAL_ENDPOINTS")


def safe_environment(base: dict[str, str], region: str, backend_env: dict[str, str]) -> dict[str, str]:
    """`base` with dummy credentials forced, risky variables removed, HOME an empty folder and the shared
    config files empty."""
    env = {k: v for k, v in base.items() if k not in STRIPPED and not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(DUMMY_CREDENTIALS)
    env.update({
        "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true", "HOME": empty_home(),
    })
    env.update(backend_env)
    return env


__all__ = ["DUMMY_CREDENTIALS", "STRIPPED", "RefusedConnection", "safe_environment"]

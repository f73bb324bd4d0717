"""Credential scrubbing: handler code never sees the outer AWS credentials.

Inside a simulation os.environ carries dummy credentials (harness.safety), HOME is an empty folder and the
shared credentials/config files are empty; the audit hook refuses reads of the outer ~/.aws and of
/proc/*/environ. The CLI additionally re-executes itself without the outer AWS_* variables, so the process's
start-up environment holds no keys at all; in-process callers (pytest, `cli.main([...])`) cannot be
re-executed and rely on the in-process scrubbing."""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence

# Variables that carry or locate credentials, or point an SDK at a real account.
SECRET_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                    "AWS_ROLE_SESSION_NAME", "AWS_CREDENTIAL_EXPIRATION")
SCRUBBED_MARK = "LAMBDA_HARNESS_SCRUBBED"
_home: str | None = None


def empty_home() -> str:
    """An empty folder (one per process) that HOME points at while handlers run."""
    global _home
    if _home is None or not os.path.isdir(_home):
        _home = tempfile.mkdtemp(prefix="lambda-harness-home-")
    return _home


def secret_paths(env: Mapping[str, str]) -> tuple[str, ...]:
    """Real paths of the outer credential and config files/folders named by `env`."""
    home = env.get("HOME") or os.path.expanduser("~")
    paths = [os.path.join(home, ".aws")]
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        value = env.get(name)
        if value and value != os.devnull:
            paths.append(value)
    return tuple(os.path.realpath(p) for p in paths)


def needs_scrubbing(env: Mapping[str, str]) -> bool:
    """True when `env` holds anything the harness's process should not start with."""
    return any(name in env for name in SECRET_VARIABLES)


def scrubbed(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the credential variables, with the shared files pointing at an empty file."""
    out = {k: v for k, v in env.items() if k not in SECRET_VARIABLES}
    out.update({"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull, SCRUBBED_MARK: "1"})
    return out


def reexec_scrubbed(argv: Sequence[str]) -> None:
    """Replace this process with `python -m harness argv...` started without the outer credentials (returns
    only when there is nothing to scrub or it already happened)."""
    if os.environ.get(SCRUBBED_MARK) or not needs_scrubbing(os.environ):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "harness", *argv], scrubbed(os.environ))

"""What botocore reads again for every client and request, read for less: config variables from the environment
and the session, and the User-Agent header's text.

A client's creation resolves a few dozen configuration variables (region, retry mode, endpoint settings,
checksums, account id...) through botocore's provider chains, about 150 environment lookups per creation, nearly
all of names that are not set. botocore's `EnvironmentProvider` asks `name in os.environ` first, and `os.environ`
answers that through `__getitem__`, raising and catching a KeyError for each missing name. `environment_value`
reads the encoded mapping behind `os.environ` directly (as `os.environ[name]` does, without the exception), at
each call: the execution environment's variables are whatever that mapping holds at that moment (see
harness/lambda_runtime/environ.py, which swaps it). Any other mapping, a name that is not text, or a Python whose
`os.environ` keeps no plain dict goes to botocore's own code. Each chain also asks the session's instance
variables first (`InstanceVarProvider`), through `Session.instance_variables()`, a copy of the session's dict made
for each question; `instance_value` reads the dict itself (the same answer: the copy is only read), unless the
session's class answers `instance_variables` its own way.

Every request rebuilds its User-Agent text, and each component's text is sanitized character by character
(`sanitize_user_agent_string_component`), twice per component and request. The sanitized text depends only on the
raw text and the `allow_hash` flag, so it is remembered (a bounded number of distinct texts). So is a whole
component's text (`prefix/name#value`, about 30 components a request, each built twice by `to_string`): it depends
only on its three texts when it has no size limit (a component with one, or with a field that is not text or None,
goes to botocore's own code).
"""
from __future__ import annotations

import os
import threading
from typing import Any

from botocore import configprovider, useragent
from botocore.session import Session

MAX_TEXTS = 1024  # distinct sanitized User-Agent texts kept; past it the memory starts again

_provide = configprovider.EnvironmentProvider.provide
_instance_provide = configprovider.InstanceVarProvider.provide
_instance_variables = Session.instance_variables
_sanitize = useragent.sanitize_user_agent_string_component
_component_text = useragent.UserAgentComponent.to_string
_sanitized: dict[tuple[str, bool], str] = {}
_component_texts: dict[tuple, str] = {}
_lock = threading.Lock()


def environment_value(self: Any) -> Any:
    """`EnvironmentProvider.provide`: the variable's value in the environment, None when it is not set."""
    env, name = self._env, self._name
    if env is os.environ and type(name) is str:
        data = getattr(env, "_data", None)
        if type(data) is dict:
            raw = data.get(env.encodekey(name))  # type: ignore[attr-defined]
            return None if raw is None else env.decodevalue(raw)  # type: ignore[attr-defined]
    return _provide(self)


def instance_value(self: Any) -> Any:
    """`InstanceVarProvider.provide`: the value the session's instance variables hold, None when none."""
    session = self._session
    variables = getattr(session, "_session_instance_vars", None)
    if type(variables) is dict and type(session).instance_variables is _instance_variables:
        return variables.get(self._instance_var)
    return _instance_provide(self)


def sanitized(raw_str: str, allow_hash: bool) -> str:
    """`sanitize_user_agent_string_component`: the text with every character not allowed in a User-Agent
    component replaced by '-'."""
    if type(raw_str) is not str or type(allow_hash) is not bool:
        return _sanitize(raw_str, allow_hash)
    key = (raw_str, allow_hash)
    text = _sanitized.get(key)
    if text is None:
        text = _sanitize(raw_str, allow_hash)
        _remember(_sanitized, key, text)
    return text


def _remember(memory: dict, key: Any, text: str) -> None:
    with _lock:
        if len(memory) >= MAX_TEXTS:
            memory.clear()
        memory[key] = text


def component_text(self: Any) -> str:
    """`UserAgentComponent.to_string`: the component as 'prefix/name#value', each part sanitized."""
    prefix, name, value, size_config = self
    if (type(self) is not useragent.UserAgentComponent or size_config is not None or type(prefix) is not str
            or type(name) is not str or (value is not None and type(value) is not str)):
        return _component_text(self)
    key = (prefix, name, value)
    text = _component_texts.get(key)
    if text is None:
        text = _component_text(self)
        _remember(_component_texts, key, text)
    return text


def install() -> None:
    """Read environment variables and sanitize User-Agent texts the cheap way (idempotent)."""
    configprovider.EnvironmentProvider.provide = environment_value
    configprovider.InstanceVarProvider.provide = instance_value
    useragent.sanitize_user_agent_string_component = sanitized
    useragent.UserAgentComponent.to_string = component_text


def uninstall() -> None:
    """botocore's own reads again."""
    configprovider.EnvironmentProvider.provide = _provide
    configprovider.InstanceVarProvider.provide = _instance_provide
    useragent.sanitize_user_agent_string_component = _sanitize
    useragent.UserAgentComponent.to_string = _component_text


def installed() -> bool:
    """True while environment variables and User-Agent texts are read the cheap way."""
    return (configprovider.EnvironmentProvider.provide is environment_value
            and configprovider.InstanceVarProvider.provide is instance_value
            and useragent.sanitize_user_agent_string_component is sanitized
            and useragent.UserAgentComponent.to_string is component_text)

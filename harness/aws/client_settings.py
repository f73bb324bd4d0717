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

The whole User-Agent text is built twice per request (`UserAgentString.to_string`: once for the request dict, once
more when the request is made, to add the features the request used), from about thirty components each made
anew. All of them but the features one (`m/...`) depend only on the `UserAgentString`'s own fields and the five
client `Config` settings it reads (retries, endpoint discovery, app id, extra text, a User-Agent override), so
`user_agent_text` keeps their texts per those values and builds only the features component each time, with
botocore's own `_build_feature_metadata` (the set of features is read from the request's context, and its order
is the set's). A subclass, a builder method or `modify_components` replaced, a field that cannot be a key, a
User-Agent override (the legacy text) go to botocore's own code.
"""
from __future__ import annotations

import copy
import copyreg
import operator
import os
from typing import Any

from botocore import configprovider, useragent
from botocore.session import Session

from harness.memo import remember

MAX_TEXTS = 1024  # distinct sanitized User-Agent texts kept; past it the memory starts again

_provide = configprovider.EnvironmentProvider.provide
_instance_provide = configprovider.InstanceVarProvider.provide
_instance_variables = Session.instance_variables
_sanitize = useragent.sanitize_user_agent_string_component
_component_text = useragent.UserAgentComponent.to_string
_ua_text = useragent.UserAgentString.to_string
_modify_components = useragent.modify_components
_BEFORE_FEATURES = ("_build_sdk_metadata", "_build_os_metadata", "_build_architecture_metadata",
                    "_build_language_metadata", "_build_execution_env_metadata")
_AFTER_FEATURES = ("_build_config_metadata", "_build_app_id", "_build_extra")
_UA_BUILDERS = (*_BEFORE_FEATURES, "_build_feature_metadata", *_AFTER_FEATURES)
_own_builders = tuple(getattr(useragent.UserAgentString, name) for name in _UA_BUILDERS)
_ua_texts: dict[tuple, tuple[list[str], list[str]]] = {}
_sanitized: dict[tuple[str, bool], str] = {}
_component_texts: dict[tuple, str] = {}


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
        remember(_sanitized, key, text, MAX_TEXTS)
    return text




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
        remember(_component_texts, key, text, MAX_TEXTS)
    return text


def user_agent_text(self: Any) -> str:
    """`UserAgentString.to_string`: the User-Agent header's text."""
    key = _ua_key(self)
    try:
        parts = None if key is None else _ua_texts.get(key)
    except TypeError:  # a field or setting that cannot be a key
        key = None
    if key is None:
        return _ua_text(self)
    if parts is None:
        parts = _ua_parts(self)
        remember(_ua_texts, key, parts, MAX_TEXTS)
    before, after = parts
    features = [text for text in (c.to_string() for c in self._build_feature_metadata()) if text]
    return " ".join([*before, *features, *after])


_builders_of = operator.attrgetter(*_UA_BUILDERS)


def _ua_key(self: Any) -> tuple | None:
    """What every component but the features one is made of, or None for a text botocore must build itself."""
    cls = type(self)
    if (cls is not useragent.UserAgentString or useragent.modify_components is not _modify_components
            or _builders_of(cls) != _own_builders):
        return None
    fields = dict(vars(self))
    fields.pop("_client_features", None)
    config = self._client_config
    settings: tuple = ()
    if config:
        retries = config.retries
        override = config._supplied_user_agent if hasattr(config, "_supplied_user_agent") else config.user_agent
        if override is not None or (retries is not None and type(retries) is not dict):
            return None  # the legacy text, or retries botocore would read its own way
        read = (retries.get("mode") if retries else None, bool(retries), config.endpoint_discovery_enabled,
                config.user_agent_appid, config.user_agent_extra)
        settings = (read, tuple(map(type, read)))  # 1, 1.0 and True are equal keys, not equal texts
    return (tuple(fields.items()), tuple(map(type, fields.values())), settings, useragent.botocore_version)


def _ua_parts(self: Any) -> tuple[list[str], list[str]]:
    """The texts of the components before and after the features one, as `to_string` makes them."""
    before = [*getattr(self, _BEFORE_FEATURES[0])(), useragent.RawStringUserAgentComponent("ua/2.1"),
              *(c for name in _BEFORE_FEATURES[1:] for c in getattr(self, name)())]
    after = [c for name in _AFTER_FEATURES for c in getattr(self, name)()]
    return [t for t in (c.to_string() for c in before) if t], [t for t in (c.to_string() for c in after) if t]


def user_agent_copy(self: Any) -> Any:
    """`copy.copy` of a UserAgentString: a new one holding the same attribute values (what the copy module makes
    through the reduce: an instance made without `__init__`, its `__dict__` updated from this one's)."""
    cls = type(self)
    if cls is not useragent.UserAgentString or not _REDUCED_THE_PLAIN_WAY.isdisjoint(cls.__dict__) \
            or cls in copyreg.dispatch_table:
        reductor = copyreg.dispatch_table.get(cls)
        reduced = reductor(self) if reductor is not None else self.__reduce_ex__(4)
        return copy._reconstruct(self, None, *reduced)  # type: ignore[attr-defined]
    new = object.__new__(cls)
    state = self.__dict__
    if state:
        new.__dict__.update(state)
    return new


_REDUCED_THE_PLAIN_WAY = frozenset({"__slots__", "__getstate__", "__setstate__", "__reduce_ex__", "__reduce__",
                                    "__new__"})


def install() -> None:
    """Read environment variables and sanitize User-Agent texts the cheap way (idempotent)."""
    configprovider.EnvironmentProvider.provide = environment_value
    configprovider.InstanceVarProvider.provide = instance_value
    useragent.sanitize_user_agent_string_component = sanitized
    useragent.UserAgentComponent.to_string = component_text
    useragent.UserAgentString.to_string = user_agent_text
    useragent.UserAgentString.__copy__ = user_agent_copy


def uninstall() -> None:
    """botocore's own reads again."""
    configprovider.EnvironmentProvider.provide = _provide
    configprovider.InstanceVarProvider.provide = _instance_provide
    useragent.sanitize_user_agent_string_component = _sanitize
    useragent.UserAgentComponent.to_string = _component_text
    useragent.UserAgentString.to_string = _ua_text
    if useragent.UserAgentString.__dict__.get("__copy__") is user_agent_copy:
        del useragent.UserAgentString.__copy__


def installed() -> bool:
    """True while environment variables and User-Agent texts are read the cheap way."""
    return (configprovider.EnvironmentProvider.provide is environment_value
            and configprovider.InstanceVarProvider.provide is instance_value
            and useragent.sanitize_user_agent_string_component is sanitized
            and useragent.UserAgentComponent.to_string is component_text
            and useragent.UserAgentString.to_string is user_agent_text
            and useragent.UserAgentString.__dict__.get("__copy__") is user_agent_copy)

"""The session's profile name read once per step of a client's creation that asks for it dozens of times.

Nearly every configuration question a client's creation asks goes past the session's instance variables and the
environment to the config file: `ScopedConfigProvider.provide` asks `Session.get_scoped_config()`, which works the
profile's name out again through the config store's own chain (an instance variable, AWS_DEFAULT_PROFILE,
AWS_PROFILE) before reading the profile map. A DynamoDB client's creation asks it 52 times, 34 of them inside one
call of `ClientArgsCreator.compute_client_args` and 13 inside one call of `_build_endpoint_resolver`: about a
fifth of a creation's instructions (0.68 M of 3.1 M).

Those two methods run botocore's code only: they emit no event (so no handler runs inside them) and change no
configuration. Inside one call of either, `get_scoped_config` works the profile's name out once per session and
reads the profile map each time, as botocore does (a profile without settings is a new empty dict each time; a
missing profile raises ProfileNotFound each time). Everywhere else, and for a session whose class answers
`get_scoped_config`, `get_config_variable` or `_build_profile_map` its own way, botocore's method runs unchanged.
The name is kept per thread and per call: a nested call (a subclass's method calling another) keeps its own.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from botocore import args as botocore_args
from botocore.exceptions import ProfileNotFound
from botocore.session import Session

from harness.aws.patches import Patches

_get_scoped_config = Session.get_scoped_config
_get_config_variable = Session.get_config_variable
_build_profile_map = Session._build_profile_map
_compute_client_args = botocore_args.ClientArgsCreator.compute_client_args
_build_endpoint_resolver = botocore_args.ClientArgsCreator._build_endpoint_resolver
_local = threading.local()
_patches = Patches()


def _reads_botocore_profile(cls: type) -> bool:
    return (cls.get_config_variable is _get_config_variable and cls._build_profile_map is _build_profile_map
            and cls.get_scoped_config is scoped_config)


def scoped_config(self: Any) -> dict:
    """`Session.get_scoped_config`: the config file's settings of the session's profile."""
    names = getattr(_local, "names", None)
    if names is None or not _reads_botocore_profile(type(self)):
        return _get_scoped_config(self)
    entry = names.get(id(self))
    if entry is None or entry[0] is not self:
        entry = names[id(self)] = (self, self.get_config_variable("profile"))
    profile_name = entry[1]
    profile_map = self._build_profile_map()
    if profile_name is None:
        return profile_map.get("default", {})
    if profile_name not in profile_map:
        raise ProfileNotFound(profile=profile_name)
    return profile_map[profile_name]


def _profile_read_once(method: Callable) -> Callable:
    """`method` with the profile's name worked out at most once per session during each call."""

    @functools.wraps(method)
    def reading_once(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_local, "names", None)
        _local.names = {}
        try:
            return method(*args, **kwargs)
        finally:
            _local.names = outer

    reading_once.botocore_method = method  # type: ignore[attr-defined]
    return reading_once


compute_client_args = _profile_read_once(_compute_client_args)
build_endpoint_resolver = _profile_read_once(_build_endpoint_resolver)


def install() -> None:
    """Read the profile's name once per step (idempotent)."""
    if _patches:
        return
    _patches.replace(Session, "get_scoped_config", scoped_config)
    _patches.replace(botocore_args.ClientArgsCreator, "compute_client_args", compute_client_args)
    _patches.replace(botocore_args.ClientArgsCreator, "_build_endpoint_resolver", build_endpoint_resolver)


def uninstall() -> None:
    """botocore's own reads again."""
    _patches.undo()


def installed() -> bool:
    """True while the profile's name is read once per step."""
    return bool(_patches)

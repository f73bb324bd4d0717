"""botocore `Config` objects made and deep-copied for less, with the same attributes in the same order.

Every client's creation makes a `Config` of its final settings (`Config(**config_kwargs)`), handler modules make
their own at each cold start (`Config(retries=..., connect_timeout=...)`), and `boto3.resource(...)` deep-copies
the one it is given. `Config.__init__` copies its 30 defaults with `copy.copy` of an OrderedDict (a reduce and a
rebuild: about half of the constructor) and sets each through `setattr`; `copy.deepcopy` of a Config goes through
its reduce and asks `deepcopy` about each of the ~32 values of its `__dict__`, most of them None, numbers or text.

`config_init` makes the same instance dict: `_user_provided_options` (the keyword arguments, in their order),
`_inject_host_prefix` ('UNSET', or what the caller gave through the `inject_host_prefix` property), then every
option in `OPTION_DEFAULTS` order with the caller's values over the defaults (and `NON_LEGACY_OPTION_DEFAULTS`
under a non-legacy `defaults_mode`); unknown keywords raise botocore's TypeError, and botocore's own validation of
the `s3` and `retries` options runs last. Positional arguments, a subclass, or a `Config` class that was changed
(its defaults no longer a mapping, another data descriptor among the options, its own `__setattr__`, a replaced
`_record_user_provided_options`) go to botocore's constructor.

`config_deepcopy` is `Config.__deepcopy__`: what `copy.deepcopy` does through the reduce (a new instance made
without `__init__`, remembered in the memo, its `__dict__` deep-copied with the same memo and put in place),
with None, booleans, numbers and text taken as they are (deepcopy's own rule for them) and everything else (the
options dict, retries, s3 and proxies settings) handed to `copy.deepcopy` with the memo, so values shared
between options stay shared in the copy. A subclass, or a Config with `__slots__`, `__getstate__`,
`__setstate__` or `__reduce_ex__` of its own, is copied through its reduce as deepcopy would.
"""
from __future__ import annotations

import copy
import copyreg
from collections import OrderedDict
from typing import Any

from botocore.config import Config

from harness.aws.patches import Patches

_patches = Patches()
_ATOMIC = frozenset({type(None), bool, int, float, complex, str, bytes})
_config_init = Config.__init__
_record_options = Config._record_user_provided_options
_OWN_WAY = frozenset({"__slots__", "__getstate__", "__setstate__", "__reduce_ex__", "__reduce__", "__new__"})
_MISSING = object()


def _plain_class() -> bool:
    """True while the Config class is made as this module knows (tests and users may patch it)."""
    cls = Config
    if (cls.__setattr__ is not object.__setattr__ or cls._record_user_provided_options is not _record_options
            or type(cls.OPTION_DEFAULTS) not in (dict, OrderedDict)
            or not isinstance(cls.__dict__.get("inject_host_prefix"), property)):
        return False
    return not any(hasattr(getattr(cls, name, None), "__set__") for name in cls.OPTION_DEFAULTS
                   if name != "inject_host_prefix")


_checked: list = [None, False]  # what the class looked like when last checked, and the answer


def _plain() -> bool:
    defaults = Config.OPTION_DEFAULTS
    looks = (id(defaults), tuple(defaults), tuple(Config.__dict__), Config._record_user_provided_options,
             Config.__dict__.get("inject_host_prefix"))
    if _checked[0] != looks:
        _checked[:] = [looks, _plain_class()]
    return _checked[1]


def config_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """`Config.__init__`: the options given over botocore's defaults, as instance attributes."""
    if args or type(self) is not Config or not _plain():
        return _config_init(self, *args, **kwargs)
    defaults = Config.OPTION_DEFAULTS
    for key in kwargs:
        if key not in defaults:
            raise TypeError(f"Got unexpected keyword argument '{key}'")
    user = dict(kwargs)
    self._user_provided_options = user
    self._inject_host_prefix = "UNSET"
    options = dict(defaults)
    if user.get("defaults_mode", "legacy") != "legacy":
        options.update(self.NON_LEGACY_OPTION_DEFAULTS)
    options.update(user)
    del options["inject_host_prefix"]  # a property: set below when given, else left 'UNSET'
    self.__dict__.update(options)
    if "inject_host_prefix" in user:
        self.inject_host_prefix = user["inject_host_prefix"]
    self._validate_s3_configuration(self.s3)
    self._validate_retry_configuration(self.retries)


def _copied_through_reduce(self: Any, memo: dict) -> Any:
    """What `copy.deepcopy` makes of `self` without a `__deepcopy__`: its reduce, rebuilt with the memo."""
    reductor = copyreg.dispatch_table.get(type(self))
    reduced = reductor(self) if reductor is not None else self.__reduce_ex__(4)
    return copy._reconstruct(self, memo, *reduced)  # type: ignore[attr-defined]


def config_deepcopy(self: Any, memo: dict) -> Any:
    """`copy.deepcopy` of a Config: a new one whose attributes are deep copies of this one's."""
    cls = type(self)
    if (cls is not Config or not _OWN_WAY.isdisjoint(Config.__dict__) or Config in copyreg.dispatch_table
            or type(getattr(self, "__dict__", None)) is not dict):
        return _copied_through_reduce(self, memo)
    new = object.__new__(cls)
    memo[id(self)] = new
    state = self.__dict__
    if state:
        copied = memo.get(id(state), _MISSING)
        if copied is _MISSING:
            copied = {}
            memo[id(state)] = copied
            for name, value in state.items():
                copied[name] = value if type(value) in _ATOMIC else copy.deepcopy(value, memo)
            copy._keep_alive(state, memo)  # type: ignore[attr-defined]
        new.__dict__.update(copied)
    return new


def install() -> None:
    """Make and deep-copy Config objects the cheaper way (idempotent)."""
    if _patches:
        return
    _checked[:] = [None, False]
    _patches.replace(Config, "__init__", config_init)
    _patches.replace(Config, "__deepcopy__", config_deepcopy)


def uninstall() -> None:
    """botocore's own constructor, and deepcopy through the reduce, again."""
    _patches.undo()


def installed() -> bool:
    """True while Config objects are made and deep-copied the cheaper way."""
    return bool(_patches)

"""moto's JSON errors made without the XML body they throw away (moto 5.2.5; installed by the moto backends with the
other fast paths).

`JsonRESTError.__init__` (every DynamoDB and Secrets Manager error: a failed condition, a missing table or secret, a
validation error) first runs `_RESTError.__init__`, which renders the error as an XML document with xmltodict's SAX
writer (about 27 us, two thirds of making the error), and then replaces that description with its JSON one. Here a
`JsonRESTError` whose next class is `_RESTError` (moto's own `__init__`) and whose type and message are text gets what
both constructors leave on it: the base exception's `__init__` (as `_RESTError` calls it), the error type and message,
the JSON description and content type; anything else is made by moto. tests/harness/aws/test_moto_errors.py compares
every attribute, body, header and text of moto's DynamoDB and Secrets Manager errors made both ways.
"""
from __future__ import annotations

import json
from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed


def installed() -> bool:
    """True while the fast path is in place."""
    return bool(_patches)


def install() -> None:
    """Patch `JsonRESTError.__init__` (idempotent)."""
    if _patches:
        return
    from moto.core import exceptions
    _patches.keep(module=exceptions, rest_init=exceptions._RESTError.__init__)
    _patches.replace(exceptions.JsonRESTError, "__init__", _json_error_init, key="json_init")


def uninstall() -> None:
    """Put moto's own constructor back (tests compare both)."""
    _patches.undo()


def _json_error_init(error: Any, error_type: str, message: str, _: str = "", **kwargs: Any) -> None:
    """moto's `JsonRESTError.__init__`, without `_RESTError`'s XML description (replaced at once)."""
    module = _saved["module"]
    mro = type(error).__mro__
    if type(error_type) is not str or type(message) is not str \
            or mro[mro.index(module.JsonRESTError) + 1] is not module._RESTError \
            or module._RESTError.__init__ is not _saved["rest_init"]:
        return _saved["json_init"](error, error_type, message, _, **kwargs)
    super(module._RESTError, error).__init__()  # what _RESTError.__init__'s super().__init__() runs
    error.error_type = error_type
    error.message = message
    error.description = json.dumps({"__type": error.error_type, "message": error.message})
    error.content_type = "application/json"
    return None

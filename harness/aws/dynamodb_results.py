"""moto's DynamoDB results turned into plain values without asking every value what it is (moto 5.2.5; installed by
the moto backends with the other fast paths).

Every DynamoDB answer (`DynamoResult`) goes through `dynamo_to_dict`, which asks each value of the result, all the way
down, whether it is a datetime, a `DynamoType`, has a `to_json` method, is a dict or a list: four isinstance or
hasattr questions per text, number and item attribute. Here the value's exact class answers first: text, numbers,
booleans, None, bytes and Decimals come back as they are (moto's function returns them so), plain dicts (and moto's
`LimitedSizeDict` of item attributes, which has no `to_json`) and lists are rebuilt with their values converted,
and a plain `DynamoType` is expanded as moto expands it (binary values base64-decoded); anything else is converted
by moto's own function. tests/harness/aws/test_dynamodb_results.py compares both on hypothesis-made results, and the
byte-for-byte tests of the other moto fast paths run with this in place.
"""
from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_AS_THEY_ARE = (str, int, float, bool, type(None), bytes, Decimal)


def installed() -> bool:
    """True while the fast path is in place."""
    return bool(_patches)


def install() -> None:
    """Give moto's DynamoDB responses module `plain` as its `dynamo_to_dict` (idempotent)."""
    if _patches:
        return
    from moto.dynamodb import responses
    from moto.dynamodb.models import dynamo_type
    _patches.keep(dynamo_type=dynamo_type)
    _patches.replace(responses, "dynamo_to_dict", plain, key="dynamo_to_dict")


def uninstall() -> None:
    """Put moto's own function back (tests compare both)."""
    _patches.undo()


def plain(obj: Any) -> Any:
    """moto's `dynamo_to_dict(obj)`."""
    kind = type(obj)
    if kind in _AS_THEY_ARE:
        return obj
    module = _saved["dynamo_type"]
    if kind is dict or kind is module.LimitedSizeDict:
        return {key: plain(value) for key, value in obj.items()}
    if kind is list:
        return [plain(item) for item in obj]
    if kind is module.DynamoType:
        if obj.type == "B":
            return {"B": obj.value if isinstance(obj.value, bytes) else base64.b64decode(obj.value)}
        if obj.type == "BS":
            return {"BS": [v if isinstance(v, bytes) else base64.b64decode(v) for v in obj.value]}
        return {obj.type: plain(obj.value)}
    return _saved["dynamo_to_dict"](obj)

"""moto's random strings drawn as moto draws them, in one call to its generator (moto 5.2.5; installed by the
in-process backend with the other fast paths).

moto gives every response a request id (`gen_amzn_requestid_long`: 52 characters of `MotoRandom.get_random_string`),
which picks each character with its own `Random.choice`: 52 calls through `_randbelow`, about a tenth of what moto
spends on a DynamoDB `GetItem`. `choice` over a pool of n characters takes one 32-bit word of the Mersenne Twister per
try and keeps its top `n.bit_length()` bits, trying again while they are n or more; `getrandbits(32 * m)` hands out
the next m words, first word lowest. So the string is the accepted words of one `getrandbits` call, in order, and
`choice` itself for the characters still missing (one per rejected word): the same characters, and the generator
left in the same state. A generator whose class draws differently (its own `getrandbits`, `choice` or `_randbelow`)
is asked as moto asks it. SQS's receipt handles (`generate_receipt_handle`: 185 `choice`s of a lower-case letter per
received message, a third of a direct ReceiveMessage) are drawn the same way. tests/harness/aws/test_moto_ids.py
checks both with hypothesis.
"""
from __future__ import annotations

import string
import struct
from random import Random
from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_POOLS = {True: string.ascii_letters + string.digits, False: string.ascii_letters}
_WORD = struct.Struct("<I")


def install() -> None:
    """Patch `MotoRandom.get_random_string` and SQS's receipt handles (idempotent)."""
    if _patches:
        return
    from moto.moto_api._internal.moto_random import MotoRandom
    from moto.sqs import models as sqs_models
    _patches.replace(MotoRandom, "get_random_string", _get_random_string, key="get_random_string")
    _patches.replace(sqs_models, "generate_receipt_handle", _receipt_handle, key="receipt_handle")


def uninstall() -> None:
    """Put moto's own `get_random_string` and receipt handles back."""
    _patches.undo()


def _get_random_string(self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
    """moto's `get_random_string`: the same characters from the same draws of the generator."""
    if not drawn_plainly(self) or type(length) is not int or length < 1:
        return _saved["get_random_string"](self, length, include_digits, lower_case)
    random_str = choices(self, _POOLS[bool(include_digits)], length)
    return random_str.lower() if lower_case else random_str


def _receipt_handle() -> str:
    """moto's SQS `generate_receipt_handle`: 185 `choice`s of a lower-case letter from moto's generator, drawn as
    `choices` draws them."""
    from moto.moto_api._internal import mock_random
    if not drawn_plainly(mock_random):
        return _saved["receipt_handle"]()
    return choices(mock_random, string.ascii_lowercase, 185)


def drawn_plainly(generator: Any) -> bool:
    """True when `generator`'s class draws as `random.Random` does (its `choice` takes one word per try)."""
    cls = type(generator)
    return cls.getrandbits is Random.getrandbits and cls.choice is Random.choice \
        and cls._randbelow is Random._randbelow_with_getrandbits


def choices(generator: Any, pool: str, length: int) -> str:
    """`"".join(generator.choice(pool) for _ in range(length))` for a generator that `drawn_plainly`, from one
    `getrandbits` call (a pool of 2 to 2**32 characters): the same characters, the generator left in the same state."""
    size = len(pool)
    shift = 32 - size.bit_length()
    words = generator.getrandbits(32 * length).to_bytes(4 * length, "little")
    chars = [pool[word >> shift] for (word,) in _WORD.iter_unpack(words) if word >> shift < size]
    while len(chars) < length:  # a word `choice` would have rejected: it draws another, as here
        chars.append(generator.choice(pool))
    return "".join(chars)

"""Hypothesis's `find` as a seeded generator: what it draws depends on the strategy, the seed and hypothesis's
version, never on what this process did before.

Plain `find(..., random=Random(seed))` is not quite that. Hypothesis's default provider now and then (about one
integer, string or float draw in twenty) answers with a constant collected from the source of every "local"
module in `sys.modules` (anything outside site-packages and the standard library: the harness when installed
editable, handler code imported by earlier simulations, a test's temporary apps). That pool only grows, so the
plans a chaos search drew for one `--seed` changed with the tests or simulations that ran earlier in the
process, with the handler code of other systems, and with how the harness was installed. `seeded_find` runs
`find` without those constants (and on hypothesis's default profile, not whichever one the process loaded);
`without_process_constants` does the same for any hypothesis run (`harness fuzz`'s).
"""
from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_LOCK = threading.RLock()  # re-entered when a run inside a fuzz example draws plans


def seeded_find(strategy: Any, condition: Callable[[T], bool], seed: str, **options: Any) -> T:
    """hypothesis.find(strategy, condition) with settings `options` (over the default profile), drawn from
    `seed` alone. NoSuchExample when nothing satisfies `condition`."""
    from hypothesis import find, settings
    config = settings(settings.get_profile("default"), **options)
    with without_process_constants():
        return find(strategy, condition, settings=config, random=random.Random(seed))


@contextmanager
def without_process_constants() -> Iterator[None]:
    """Hypothesis draws, while this lasts, from its seeded generator alone (no constants from local modules)."""
    # Every draw (generation and shrinking alike) goes through HypothesisProvider._maybe_draw_constant, which is
    # where the process-wide constant pool enters; with it answering "no constant", the provider's seeded
    # random alone decides. Put back afterwards: hypothesis tests elsewhere in the process keep the feature.
    from hypothesis.internal.conjecture.providers import HypothesisProvider
    if "_maybe_draw_constant" not in HypothesisProvider.__dict__:  # pinned in pyproject.toml for this reason
        raise RuntimeError("this hypothesis version draws constants another way: update harness/search/seeded.py "
                           "(tests/harness/search/test_seeded.py says whether draws depend on the process)")
    with _LOCK:
        original = HypothesisProvider.__dict__["_maybe_draw_constant"]
        HypothesisProvider._maybe_draw_constant = _no_constant
        try:
            yield
        finally:
            HypothesisProvider._maybe_draw_constant = original


def _no_constant(self: Any, choice_type: str, constraints: Any, *, p: float = 0.05) -> None:
    return None

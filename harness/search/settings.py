"""The scenario key `explore: {seeds: N, always: [...]}`: how a search treats this scenario."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from harness.scenario.values import Model


class ExploreSettings(Model):
    """`seeds`: how many seeds `explore` (and `make test-scenarios`) runs by default; `always`: indexes of the
    `expect` entries that must hold under any fault plan (`chaos` judges them with the invariants)."""

    seeds: Annotated[int, Field(ge=1, le=100_000)] = 20
    always: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)

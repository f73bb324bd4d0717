"""The scenario file's shape (pydantic): top-level keys and `setup`; steps and expectations have registries."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from harness.scenario.values import BucketRef, Duration, Model, QueueRef, Start, TableRef
from harness.search.settings import ExploreSettings

JsonScalar = str | int | float | bool | None


class QueuedMessage(Model):
    """A message put into a queue by `setup` (a bare string or mapping is its body)."""

    body: Any
    attributes: dict[str, JsonScalar] = Field(default_factory=dict)
    delay_seconds: Annotated[int, Field(ge=0, le=900)] = 0
    group_id: str | None = None
    deduplication_id: str | None = None


class HttpMock(Model):
    """A third-party HTTP endpoint (e.g. Twilio's REST API), registered with `responses` on `sim.http_mock`.
    The keys are `responses.add` arguments; give `url` (exact, query ignored) or `url_regex`."""

    method: str = "GET"
    url: str | None = None
    url_regex: str | None = None
    status: int = Field(200, ge=100, le=599)
    json_: Any = Field(None, alias="json")
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = None

    @model_validator(mode="after")
    def _one_url(self) -> HttpMock:
        if (self.url is None) == (self.url_regex is None):
            raise ValueError("give exactly one of url or url_regex")
        if self.url_regex is not None:
            try:
                re.compile(self.url_regex)
            except re.error as exc:
                raise ValueError(f"url_regex is not a valid regular expression: {exc}") from None
        if self.json_ is not None and self.body is not None:
            raise ValueError("give either json or body, not both")
        return self

    def register(self, mock: Any) -> None:
        """Add this endpoint to a `responses.RequestsMock`."""
        kwargs: dict[str, Any] = {"status": self.status, "headers": dict(self.headers) or None}
        if self.json_ is not None:
            kwargs["json"] = self.json_
        elif self.body is not None:
            kwargs["body"] = self.body
        if self.content_type:
            kwargs["content_type"] = self.content_type
        url = self.url if self.url is not None else re.compile(self.url_regex or "")
        mock.add(self.method.upper(), url, **kwargs)


class Setup(Model):
    """Initial data, written before the first step (these writes are never faulted)."""

    items: dict[TableRef, list[dict[str, Any]]] = Field(default_factory=dict)
    objects: dict[BucketRef, dict[str, Any]] = Field(default_factory=dict)
    messages: dict[QueueRef, list[QueuedMessage]] = Field(default_factory=dict)
    secrets: dict[str, str | dict[str, Any]] = Field(default_factory=dict)

    @field_validator("messages", mode="before")
    @classmethod
    def _bodies(cls, value: Any) -> Any:
        """A bare body (string, or a mapping without a `body` key) is shorthand for `{body: ...}`."""
        if not isinstance(value, dict):
            return value
        out = {}
        for queue, messages in value.items():
            if isinstance(messages, list):
                messages = [m if isinstance(m, dict) and "body" in m else {"body": m} for m in messages]
            out[queue] = messages
        return out


class RunBudgets(Model):
    """`budgets:` what one run may spend before it fails (harness/sandbox/budgets.py); unset keys keep the
    defaults."""

    wall_time: Annotated[Duration, Field(gt=0)] | None = None
    virtual_time: Annotated[Duration, Field(gt=0)] | None = None
    steps: Annotated[int, Field(ge=1)] | None = None
    invocations: Annotated[int, Field(ge=1)] | None = None

    def values(self) -> dict[str, float]:
        """The set keys, as `Budgets` fields."""
        names = {"wall_time": "wall_seconds", "virtual_time": "virtual_seconds"}
        return {names.get(k, k): v for k, v in self.model_dump(exclude_none=True).items()}


class ScenarioModel(Model):
    """Top-level keys of a scenario file."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    system: Annotated[str, Field(min_length=1)]
    seed: int = 0
    start: Start | None = None
    backend: str | None = None
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    stack_name: str | None = None
    setup: Setup = Field(default_factory=Setup)
    faults: list[dict[str, Any]] = Field(default_factory=list)
    http_mocks: list[HttpMock] = Field(default_factory=list)
    steps: Annotated[list[Any], Field(min_length=1)]
    expect: list[Any] = Field(default_factory=list)
    invariants: list[str | dict[str, Any]] | None = None
    settle: bool = True
    max_virtual_time: Duration = 7 * 86400.0
    budgets: RunBudgets | None = None  # wall time, virtual time, steps, invocations (docs/safety.md)
    # Budget on a real-clock backend (LocalStack): a run that would need more real time is skipped, with the reason.
    max_real_seconds: Annotated[float, Field(gt=0)] | None = None
    tags: list[str] = Field(default_factory=list)
    # Stand-ins for functions the harness cannot run (other runtimes) or that the scenario replaces:
    # {Name: {mock: {response: ...} | {error: {type, message}} | {handler: path/file.function}}}.
    functions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Requirement ids from scenarios/requirements/<system>.yaml that this scenario proves (checked at load).
    proves: list[Annotated[str, Field(pattern=r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$")]] = Field(default_factory=list)
    explore: ExploreSettings | None = None  # seeds for `explore`, expectations `chaos` keeps (harness/search)

"""Event sources: SQS event source mappings, EventBridge rules, schedules, the HTTP gateway (API Gateway REST and
Function URLs) and webhook senders. `SOURCES` is the registry keyed by SAM event type."""
from harness.simulation import register_extension
from harness.sources import api, eventbridge, http_api, s3, schedule, sns, sqs, streams  # noqa: F401 - each registers its source types
from harness.sources.base import SOURCES, EventSpec, Source, register_source
from harness.sources.extension import EventSources, of
from harness.sources.httpmodel import HttpRequest, HttpResponse

register_extension(EventSources)

__all__ = ["SOURCES", "EventSources", "EventSpec", "HttpRequest", "HttpResponse", "Source", "of", "register_source"]

"""S3 -> Lambda: a function's `Type: S3` event (Bucket, Events, Filter).

The notification configuration is set on the bucket in the backend (moto), which decides which object events
match; the harness delivers them: S3 invokes the function asynchronously with the event AWS documents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.sources.base import EventSpec, register_source

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources


@register_source("S3", {"Bucket", "Events", "Filter"})
class S3Notification:
    """One `Type: S3` event: Bucket (a bucket of the same template), Events (one or a list), Filter."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec, self.sim = sources, spec, sources.sim
        props = spec.properties
        if not props.get("Bucket"):
            raise spec.error("Bucket is required (!Ref of an AWS::S3::Bucket in this template)")
        events = props.get("Events")
        if not events:
            raise spec.error("Events is required (e.g. s3:ObjectCreated:*)")
        self.bucket = str(props["Bucket"])
        self.events = [str(e) for e in (events if isinstance(events, list) else [events])]
        self.filter = props.get("Filter")

    def start(self) -> None:
        """Add this function to the bucket's notification configuration (keeping the others)."""
        s3 = self.sim.client("s3")
        try:
            current = s3.get_bucket_notification_configuration(Bucket=self.bucket)
        except Exception as exc:  # noqa: BLE001 - the backend's refusal, named with the source
            raise self.spec.error(f"bucket {self.bucket!r} cannot be configured: {exc}") from None
        current.pop("ResponseMetadata", None)
        entry: dict[str, Any] = {"Id": self.spec.label, "LambdaFunctionArn": self.spec.function.arn,
                                 "Events": self.events}
        if self.filter:
            entry["Filter"] = {"Key": {"FilterRules": [
                {"Name": rule.get("Name"), "Value": rule.get("Value")}
                for rule in (self.filter.get("S3Key") or {}).get("Rules") or []]}}
        current.setdefault("LambdaFunctionConfigurations", []).append(entry)
        if self._event_bridge_enabled():  # moto's GetBucketNotificationConfiguration leaves this out
            current["EventBridgeConfiguration"] = {}
        s3.put_bucket_notification_configuration(Bucket=self.bucket, NotificationConfiguration=current)

    def stop(self) -> None:
        """Nothing to stop: deliveries come from object events."""

    def _event_bridge_enabled(self) -> bool:
        try:
            from moto.s3.models import s3_backends

            from harness.template import ACCOUNT_ID
            bucket = s3_backends[ACCOUNT_ID]["aws"].buckets.get(self.bucket)
        except (ImportError, KeyError):
            return False
        config = getattr(bucket, "notification_configuration", None)
        return getattr(config, "event_bridge", None) is not None


def complete_event(event: dict, sources: EventSources) -> dict:
    """moto's S3 event with the keys AWS's event also has (identity, request ids, owner, sequencer)."""
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": "AWS:HARNESSPRINCIPAL"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        request_id = sources.new_id().replace("-", "")[:16].upper()
        record.setdefault("responseElements", {"x-amz-request-id": request_id,
                                               "x-amz-id-2": f"{request_id}/harness"})
        s3 = record.get("s3", {})
        s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": "HARNESSOWNER"})
        s3.get("object", {}).setdefault("sequencer", f"{int(sources.sim.clock.now() * 1000):018X}")
    return event

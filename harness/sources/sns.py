"""SNS -> Lambda: a function's `Type: SNS` event (and `AWS::SNS::Subscription` resources with protocol lambda).

The subscription is made in the backend (moto), so a topic's filter policy and its other subscribers (SQS
queues, which moto fans out to itself) behave as moto implements them. A message for a lambda subscription is
delivered by the harness: SNS invokes the function asynchronously (so Lambda's async retries, destinations and
DLQ apply) with the event AWS documents for SNS.

With `SqsSubscription` the function reads the topic through a queue, as SAM builds it: `true` creates the queue
`<Function><Event>Queue` (an existing one is named by `QueueArn` and `QueueUrl`), subscribes it to the topic
(protocol sqs, not raw: each body is the SNS notification JSON) and maps it to the function with `BatchSize`
(default 10). moto fans the message out to the queue and the queue's SQS mapping polls it (woken through
harness.sources.moto_hooks), so visibility timeouts, retries and the queue's redrive apply as for any SQS event.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.sources.base import EventSpec, register_source
from harness.sources.sqs import SqsMapping

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

SIGNING_CERT = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"


@register_source("SNS", {"Topic", "FilterPolicy", "FilterPolicyScope", "SqsSubscription"})
class SnsSubscription:
    """One `Type: SNS` event: Topic, FilterPolicy, FilterPolicyScope, SqsSubscription."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec, self.sim = sources, spec, sources.sim
        props = spec.properties
        if not props.get("Topic"):
            raise spec.error("Topic is required (the topic ARN, e.g. !Ref MyTopic)")
        self.through_queue = props.get("SqsSubscription")
        if self.through_queue not in (None, False, True) and not isinstance(self.through_queue, dict):
            raise spec.error(f"SqsSubscription must be true or a mapping with QueueArn and QueueUrl, got "
                             f"{self.through_queue!r}")
        if isinstance(self.through_queue, dict) and not (self.through_queue.get("QueueArn")
                                                          and self.through_queue.get("QueueUrl")):
            raise spec.error("SqsSubscription needs both QueueArn and QueueUrl (as SAM requires)")
        self.mapping: SqsMapping | None = None
        self.topic_arn = str(props["Topic"])
        attributes = {}
        if props.get("FilterPolicy") is not None:
            policy = props["FilterPolicy"]
            attributes["FilterPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        if props.get("FilterPolicyScope"):
            attributes["FilterPolicyScope"] = str(props["FilterPolicyScope"])
        self.attributes = attributes
        self.subscription_arn: str | None = None

    def start(self) -> None:
        """Subscribe the function (or, with SqsSubscription, its queue) to the topic in the backend."""
        protocol, endpoint = "lambda", self.spec.function.arn
        if self.through_queue:
            protocol, endpoint = "sqs", self._start_queue_mapping()
        try:
            self.subscription_arn = self.sim.client("sns").subscribe(
                TopicArn=self.topic_arn, Protocol=protocol, Endpoint=endpoint, Attributes=self.attributes,
                ReturnSubscriptionArn=True)["SubscriptionArn"]
        except Exception as exc:  # noqa: BLE001 - the backend's refusal, named with the source
            raise self.spec.error(f"cannot subscribe to {self.topic_arn}: {exc}") from None

    def _start_queue_mapping(self) -> str:
        """SqsSubscription: the queue (created when `true`) and its SQS mapping to the function; its ARN."""
        options = self.through_queue if isinstance(self.through_queue, dict) else {}
        queue_arn = options.get("QueueArn")
        if queue_arn is None:  # SAM's implicit queue (template.implicit_resources), created once by the deployer
            queue_arn = self.sim.deployer.attributes(f"{self.spec.function.logical_id}{self.spec.name}Queue")["Arn"]
        properties = {"Queue": str(queue_arn), "BatchSize": options.get("BatchSize") or 10,
                      "Enabled": options.get("Enabled", True)}
        self.mapping = SqsMapping(self.sources, EventSpec(self.spec.function, f"{self.spec.name}.SqsSubscription",
                                                          "SQS", properties, self.spec.where))
        self.sources.sources.append(self.mapping)  # moto's fan-out to the queue pokes it like any SQS mapping
        self.mapping.start()
        return str(queue_arn)

    def stop(self) -> None:
        """Deliveries come from publishes; a queue mapping stops with the other sources."""


def notification(subscription_arn: str, topic_arn: str, message: str, message_id: str, subject: str | None,
                 attributes: dict | None, timestamp: str) -> dict:
    """The event SNS sends a Lambda subscriber (one record per invocation)."""
    return {"Records": [{
        "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn, "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1", "Timestamp": timestamp, "Signature": "EXAMPLE", "SigningCertUrl": SIGNING_CERT,
            "MessageId": message_id, "Message": message,
            "MessageAttributes": {name: {"Type": value.get("Type", "String"), "Value": value.get("Value")}
                                  for name, value in (attributes or {}).items()},
            "Type": "Notification",
            "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                              f"{subscription_arn}",
            "TopicArn": topic_arn, "Subject": subject,
        },
    }]}


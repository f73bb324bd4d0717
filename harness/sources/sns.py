"""SNS -> Lambda: a function's `Type: SNS` event (and `AWS::SNS::Subscription` resources with protocol lambda).

The subscription is made in the backend (moto), so a topic's filter policy and its other subscribers (SQS
queues, which moto fans out to itself) behave as moto implements them. A message for a lambda subscription is
delivered by the harness: SNS invokes the function asynchronously (so Lambda's async retries, destinations and
DLQ apply) with the event AWS documents for SNS.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.sources.base import EventSpec, register_source

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

SIGNING_CERT = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"


@register_source("SNS", {"Topic", "FilterPolicy", "FilterPolicyScope"})
class SnsSubscription:
    """One `Type: SNS` event: Topic, FilterPolicy, FilterPolicyScope (Region and SqsSubscription are refused)."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec, self.sim = sources, spec, sources.sim
        props = spec.properties
        if not props.get("Topic"):
            raise spec.error("Topic is required (the topic ARN, e.g. !Ref MyTopic)")
        if props.get("SqsSubscription"):
            raise spec.error("SqsSubscription is not emulated; declare the queue, an AWS::SNS::Subscription with "
                             "Protocol: sqs and an SQS event on the function instead")
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
        """Subscribe the function to the topic in the backend."""
        sns = self.sim.client("sns")
        try:
            self.subscription_arn = sns.subscribe(TopicArn=self.topic_arn, Protocol="lambda",
                                                  Endpoint=self.spec.function.arn, Attributes=self.attributes,
                                                  ReturnSubscriptionArn=True)["SubscriptionArn"]
        except Exception as exc:  # noqa: BLE001 - the backend's refusal, named with the source
            raise self.spec.error(f"cannot subscribe to {self.topic_arn}: {exc}") from None

    def stop(self) -> None:
        """Nothing to stop: deliveries come from publishes."""


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


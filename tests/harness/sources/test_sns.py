"""SNS event sources (harness.sources.sns): what a `Type: SNS` event with SqsSubscription refuses."""
import pytest

from harness import Simulation
from harness.errors import InputError

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        Orders:
          Type: SNS
          Properties: {Topic: !Ref Topic, SqsSubscription: SUBSCRIPTION}
"""


@pytest.mark.parametrize("subscription, problem", [
    ("{QueueArn: !GetAtt Queue.Arn}", "SqsSubscription needs both QueueArn and QueueUrl"),
    ("[1]", "SqsSubscription must be true or a mapping"),
])
def test_sqs_subscription_without_a_usable_queue_is_refused_by_name(write_app, subscription, problem):
    template = write_app(TEMPLATE.replace("SUBSCRIPTION", subscription))
    with pytest.raises(InputError, match=problem) as error, Simulation(template, seed=1):
        pass
    assert "event 'Fn.Orders' (SNS)" in str(error.value)

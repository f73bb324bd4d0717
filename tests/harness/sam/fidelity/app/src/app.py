"""Prints the event it received, so a test can compare its shape with AWS's documented sample."""
import json


def handler(event, context):
    print(json.dumps(event))
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"statusCode": 200, "body": "ok"}


def fail(event, context):
    print(json.dumps(event))
    raise RuntimeError("always fails")


def authorize(event, context):
    """Allows every request: a policy for the method/route ARN, and a simple answer for simple responses."""
    print(json.dumps(event))
    resource = event.get("methodArn") or event.get("routeArn")
    return {"isAuthorized": True, "principalId": "user",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}]}}


def window(event, context):
    """A tumbling-window aggregator: counts records per partition key in the window's state."""
    print(json.dumps(event))
    state = event["state"]
    for record in event["Records"]:
        key = record["kinesis"]["partitionKey"]
        state[key] = state.get(key, 0) + 1
    return {"state": state}

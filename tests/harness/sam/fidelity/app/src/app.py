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

import json
import os

import boto3

lam = boto3.client("lambda")


class InvalidOrder(Exception):
    pass


def validate(event, context):
    if event.get("quantity", 0) <= 0:
        raise InvalidOrder("quantity must be positive")
    return {"valid": True}


def orchestrate(event, context):
    answer = lam.invoke(FunctionName=os.environ["VALIDATOR"], Payload=event["body"] or "{}")
    payload = json.loads(answer["Payload"].read())
    if answer.get("FunctionError"):
        return {"statusCode": 422, "body": json.dumps({"error": payload["errorType"],
                                                       "message": payload["errorMessage"]})}
    return {"statusCode": 200, "body": json.dumps(payload)}

import json
import os

import boto3

lambda_client = boto3.client("lambda")


def handler(event, context):
    response = lambda_client.invoke(FunctionName=os.environ["PRICING_FUNCTION"], Payload=event["body"] or "{}")
    payload = json.loads(response["Payload"].read())
    if "FunctionError" in response:
        return {"statusCode": 502, "body": json.dumps({"error": payload.get("errorType")})}
    return {"statusCode": 200, "body": json.dumps({"price": payload["price"]})}

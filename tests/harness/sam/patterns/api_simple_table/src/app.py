import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def put_item(event, context):
    body = json.loads(event["body"] or "{}")
    if not isinstance(body.get("itemId"), str):
        return {"statusCode": 400, "body": json.dumps({"message": "itemId is required"})}
    table.put_item(Item=body)
    return {"statusCode": 201, "body": json.dumps({"itemId": body["itemId"]})}


def get_item(event, context):
    item = table.get_item(Key={"itemId": event["pathParameters"]["id"]}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "not found"})}
    return {"statusCode": 200, "body": json.dumps(item)}

import json
import os

import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def list_tickets(event, context):
    items = table.query(IndexName="byAssignee",
                        KeyConditionExpression=Key("assignee").eq(event["pathParameters"]["name"]))["Items"]
    return {"statusCode": 200, "body": json.dumps(sorted(i["ticketId"] for i in items))}

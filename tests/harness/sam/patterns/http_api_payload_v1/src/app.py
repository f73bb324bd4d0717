import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"version": event.get("version", "1.0"),
                                                   "method": event["httpMethod"],
                                                   "query": event["queryStringParameters"]})}

import json


def get_book(event, context):
    return {"statusCode": 200, "body": json.dumps({"isbn": event["pathParameters"]["isbn"],
                                                   "stage": event["requestContext"]["stage"]})}


def proxy(event, context):
    return {"statusCode": 404, "body": json.dumps({"path": event["pathParameters"]["proxy"]})}

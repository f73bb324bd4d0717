import json


def handler(event, context):
    body = json.loads(event.get("body") or "{}")
    return {"statusCode": 201, "cookies": ["seen=1"], "body": json.dumps({"echo": body, "method":
                                                                          event["requestContext"]["http"]["method"]})}

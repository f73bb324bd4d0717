import json


def handler(event, context):
    print(json.dumps({"jobs": [r["body"] for r in event["Records"]]}))

import json


def handler(event, context):
    print(json.dumps({"welcome": event["email"]}))

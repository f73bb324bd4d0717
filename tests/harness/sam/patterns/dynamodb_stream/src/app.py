import json


def handler(event, context):
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
    print(json.dumps({"keys": keys, "events": [r["eventName"] for r in event["Records"]]}))
    if "poison" in keys:
        raise ValueError("cannot project poison")

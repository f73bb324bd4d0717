import json


def handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"urgent": json.loads(record["body"])["id"]}))

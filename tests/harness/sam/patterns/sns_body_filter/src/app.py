import json


def handler(event, context):
    print(json.dumps({"paged": json.loads(event["Records"][0]["Sns"]["Message"])["id"]}))

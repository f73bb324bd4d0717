import json


def worker(event, context):
    for record in event["Records"]:
        if "poison" in record["body"]:
            raise ValueError(f"cannot process {record['body']}")
    return {}


def alerter(event, context):
    for record in event["Records"]:
        print(json.dumps({"dead_letter": record["body"], "attributes": record["attributes"]}))
    return {}

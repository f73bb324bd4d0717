import json


def ship(event, context):
    for record in event["Records"]:
        notification = json.loads(record["body"])  # not raw delivery: the SNS envelope
        print(json.dumps({"source": record["eventSource"], "type": notification["Type"],
                          "order": json.loads(notification["Message"])}))


def audit(event, context):
    for record in event["Records"]:
        order = json.loads(json.loads(record["body"])["Message"])
        if order.get("poison"):
            raise ValueError("cannot audit this order")
        print(json.dumps({"audited": order["id"]}))

import json

FAILED_ONCE = set()


def handler(event, context):
    for index, record in enumerate(event["Records"]):
        body = record["body"]
        if body.startswith("flaky") and body not in FAILED_ONCE:
            FAILED_ONCE.add(body)
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"][index:]]}
        print(json.dumps({"paid": body}))
    return {"batchItemFailures": []}

import base64
import json

SEEN = []


def handler(event, context):
    failures = []
    for record in event["Records"]:
        data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        print(json.dumps({"page": data["page"]}))
        if data["page"] == "/broken" and not SEEN.count("/broken"):
            SEEN.append("/broken")
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}

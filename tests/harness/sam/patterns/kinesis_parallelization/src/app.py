import base64
import json
import time


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        time.sleep(5)  # slow work: batches of other partition keys run meanwhile
        print(json.dumps({"customer": record["kinesis"]["partitionKey"], "step": order["step"]}))

import base64
import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TOTALS_TABLE"])


def handler(event, context):
    print(json.dumps({key: event[key] for key in ("window", "state", "isFinalInvokeForWindow",
                                                  "isWindowTerminatedEarly")} | {"records": len(event["Records"])}))
    state = event["state"]
    if event["isFinalInvokeForWindow"]:
        totals = {page: count for page, count in state.items() if page != "padding"}
        TABLE.put_item(Item={"window": event["window"]["start"], "totals": json.dumps(totals, sort_keys=True),
                             "early": event["isWindowTerminatedEarly"]})
        return {"state": {}}
    for record in event["Records"]:
        click = json.loads(base64.b64decode(record["kinesis"]["data"]))
        if click["page"] == "forgetful":
            return {"batchItemFailures": []}  # no state: Lambda counts this invocation as failed
        if click["page"] == "huge":
            state["padding"] = "x" * (1024 * 1024)
            continue
        state[click["page"]] = state.get(click["page"], 0) + 1
    return {"state": state}

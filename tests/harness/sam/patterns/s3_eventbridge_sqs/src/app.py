import json
from urllib.parse import unquote_plus


def audit(event, context):
    print(json.dumps({"audit": event["detail"]["object"]["key"], "bucket": event["detail"]["bucket"]["name"]}))


def ingest(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":
            continue  # S3 sends one when the notification is configured
        s3 = body["Records"][0]["s3"]
        print(json.dumps({"ingest": unquote_plus(s3["object"]["key"])}))  # keys arrive URL-encoded

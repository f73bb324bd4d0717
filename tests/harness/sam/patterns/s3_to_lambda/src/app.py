import json
from urllib.parse import unquote_plus


def handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"key": unquote_plus(record["s3"]["object"]["key"]), "event": record["eventName"]}))

import json
import os

import boto3

events = boto3.client("events")


def produce(event, context):
    events.put_events(Entries=[{"EventBusName": os.environ["BUS"], "Source": "shop.orders",
                                "DetailType": "OrderPlaced", "Detail": json.dumps({"total": t})}
                               for t in event["totals"]])


def consume(event, context):
    print(json.dumps({"total": event["detail"]["total"], "bus": event.get("source")}))

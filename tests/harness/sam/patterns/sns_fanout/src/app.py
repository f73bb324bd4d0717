import json
import os

import boto3

sns = boto3.client("sns")


def publish(event, context):
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(event["order"]), Subject="order",
                MessageAttributes={"size": {"DataType": "String", "StringValue": event["size"]}})
    return {"published": True}


def big_order(event, context):
    record = event["Records"][0]
    print(json.dumps({"big_order": json.loads(record["Sns"]["Message"]), "source": record["EventSource"]}))


def audit(event, context):
    for record in event["Records"]:
        print(json.dumps({"audit": json.loads(record["body"])}))

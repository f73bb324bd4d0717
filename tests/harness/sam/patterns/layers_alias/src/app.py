import json
import os

import boto3


def greet(event, context):
    from shared_lib import greeting
    return {"message": greeting(event["name"])}


def call(event, context):
    response = boto3.client("lambda").invoke(FunctionName=os.environ["GREET_ALIAS"],
                                             Payload=json.dumps({"name": "ada"}))
    return {"alias": os.environ["GREET_ALIAS"], "role": os.environ["GREET_ROLE"],
            "answer": json.loads(response["Payload"].read())}

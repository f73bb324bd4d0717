import os
import time

import boto3
from botocore.config import Config

lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))


def slow(event, context):
    time.sleep(10)
    return {"slept": 10}


def fanout(event, context):
    lam.invoke(FunctionName=os.environ["SLOW"], InvocationType="Event", Payload=b"{}")
    time.sleep(1)
    try:
        lam.invoke(FunctionName=os.environ["SLOW"], Payload=b"{}")
    except lam.exceptions.TooManyRequestsException:
        return {"second": "throttled"}
    return {"second": "ran"}

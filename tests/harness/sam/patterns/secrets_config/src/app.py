import json
import os

import boto3

secrets = boto3.client("secretsmanager")


def handler(event, context):
    key = json.loads(secrets.get_secret_value(SecretId=os.environ["SECRET_ARN"])["SecretString"])["key"]
    return {"key_length": len(key), "rate": os.environ["RATE"], "mode": os.environ["MODE"]}

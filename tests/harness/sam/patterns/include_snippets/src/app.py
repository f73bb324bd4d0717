import os


def handler(event, context):
    return {"queue": os.environ["QUEUE_URL"].rsplit("/", 1)[-1], "level": os.environ["LOG_LEVEL"]}

def handler(event, context):
    raise ConnectionError("the telemetry store is down")

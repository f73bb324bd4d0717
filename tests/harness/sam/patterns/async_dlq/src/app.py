def handler(event, context):
    raise RuntimeError(f"cannot import {event['file']}")

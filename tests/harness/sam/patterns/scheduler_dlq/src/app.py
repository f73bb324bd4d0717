def handler(event, context):
    print(f"report {event['report']}")
    return {"ok": True}

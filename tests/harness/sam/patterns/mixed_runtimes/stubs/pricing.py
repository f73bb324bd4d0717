def handler(event, context):
    return {"price": 7 * int(event.get("quantity", 1))}

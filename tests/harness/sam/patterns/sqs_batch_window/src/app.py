def handler(event, context):
    print(f"batch of {len(event['Records'])}")

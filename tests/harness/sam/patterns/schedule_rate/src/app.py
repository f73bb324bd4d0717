def beat(event, context):
    print(f"beat {event['detail-type']}")


def digest(event, context):
    print(f"digest {event['kind']}")

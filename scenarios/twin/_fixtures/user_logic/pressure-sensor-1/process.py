# User logic of pressure-sensor-1 (seed 001's example: `pressure * 1.2`), merged next to the system wrapper
# as the deployer does. It assumes every event carries `pressure`: an event without it raises KeyError.


def process(event):
    print(f"scaling pressure of {event['iotDeviceId']}")
    return {**event, "pressure": event["pressure"] * 1.2}

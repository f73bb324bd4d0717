# User logic of clock-sensor-1: stamps the event with a datetime object, which is not JSON-serialisable.
import datetime


def process(event):
    return {**event, "processed_at": datetime.datetime.now(datetime.UTC)}

# User logic of filter-sensor-1: edits the event in place and forgets to return it (process() returns None).


def process(event):
    event["filtered"] = True

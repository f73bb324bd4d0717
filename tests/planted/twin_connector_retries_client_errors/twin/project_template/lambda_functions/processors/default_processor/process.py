# --- CONTEXT: System Wrapper (DO NOT EDIT) ------------------------------------
# The deployer copies this file next to the system wrapper (lambda_function.py):
#   from process import process
#   def lambda_handler(event, context):
#       result = process(event)        # your code, between "User Logic Start/End"
#       # ... the wrapper then invokes the Persister with `result`
# ------------------------------------------------------------------------------
#
# Example event:
# {
#   "iotDeviceId": "temperature-sensor-1",
#   "time": "2025-01-01T12:00:00.000Z",
#   "temperature": 25.5
# }
#
# Return a dict that still holds "iotDeviceId" and "time": the Persister stores it.


def process(event):
    # Modify your event here
    return event

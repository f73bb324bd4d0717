"""Shared code of the Message API functions (POST /messages and the QUEUED reconciler).

The package lives inside the functions' common CodeUri (``src/``); each function has its own
top-level handler module beside it (``post_message_handler``, ``reconcile_queued_handler``).
"""

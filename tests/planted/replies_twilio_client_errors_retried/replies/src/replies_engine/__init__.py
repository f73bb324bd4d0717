"""Replies engine: Twilio/email webhook intake, batched conversation processing and reply sending.

Every function of the system lives in this one CodeUri; each has its own handler module:
``replies_engine.<function>.app.lambda_handler``.
"""

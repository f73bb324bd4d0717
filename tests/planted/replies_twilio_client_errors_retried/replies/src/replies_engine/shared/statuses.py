"""Conversation status values stored in ``conversation_status`` (the lock flag and its outcomes)."""

PROCESSING_REPLY = "processing_reply"  # the lock: a batch owns the conversation
AI_RESPONSE_SENT = "ai_response_sent"  # final unlock after the reply went out
AI_RESPONSE_FAILED = "ai_response_failed"  # final unlock after the reply could not be sent
PROCESSING_ERROR = "processing_error"  # emergency unlock by the batch processor
PROCESSING_TIMEOUT = "processing_timeout"  # stalled-lock reset by the scheduled check

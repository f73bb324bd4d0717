"""Stand-in for the AI step, which is outside this system.

``compose_reply(ai_context) -> str`` is the only contract: it receives the context the batch processor
put on the AI queue (``conversation_id``, ``batch_id``, ``channel_type``, ``new_messages``, ``history``,
``conversation``) and returns the text to send. Replace this module (or point the AI queue at a real AI
worker that calls the sender) to plug in a model; nothing else in the system depends on how the text is
made. This stand-in is deterministic so scenarios can assert on it.
"""
from __future__ import annotations

DEFAULT_REPLY = "Thanks for your message. We have received it and will get back to you shortly."


def compose_reply(ai_context: dict) -> str:
    """A fixed acknowledgement, personalised with ``recipient_first_name`` when the record has one."""
    conversation = ai_context.get("conversation") or {}
    name = str(conversation.get("recipient_first_name") or "").strip()
    if name:
        return f"Hi {name}! {DEFAULT_REPLY}"
    return DEFAULT_REPLY

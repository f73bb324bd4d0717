"""Stage 3: compose and send the reply, then perform the final unlock of the conversation."""

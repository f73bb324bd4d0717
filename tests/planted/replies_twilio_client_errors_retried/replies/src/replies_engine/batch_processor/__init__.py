"""Stage 2: batch processor (SQS trigger on the channel batch queues)."""

"""MarkEarningsProcessed: an EventBridge event marks an earnings record PROCESSED, with an audit trail.

Handler: ``mark_earnings_processed.app.lambda_handler`` (CodeUri ``src/``).
"""

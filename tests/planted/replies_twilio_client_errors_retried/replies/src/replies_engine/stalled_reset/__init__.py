"""Scheduled check that resets conversation locks held longer than the threshold."""

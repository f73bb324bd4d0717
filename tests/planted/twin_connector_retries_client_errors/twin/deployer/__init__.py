"""Deployment utilities of the digital-twin pipeline: config validation, code merging, AWS deployers."""

"""Deterministic emulation and fault-injection harness for AWS Lambda systems."""

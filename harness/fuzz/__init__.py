"""`python -m harness fuzz` and the hypothesis profiles; the public strategies are in harness.strategies."""

"""pytest plugin: fixtures and scenario collection for the harness."""

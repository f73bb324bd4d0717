"""Code shared by the replies-engine functions (configuration, time, errors, logging, secrets)."""

"""AWS side of the simulation: backends, the botocore request router and resource deployment."""

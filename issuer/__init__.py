"""SKY Badges: an Open Badges 3.0 issuer and verifier for micro-trainings."""

__version__ = "0.1.0"

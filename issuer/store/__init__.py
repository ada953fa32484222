"""Persistence: SQLAlchemy models and the database session factory."""

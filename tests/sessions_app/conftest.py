"""The session-core tests use the root conftest's fixtures (clock, fast hashing)."""

"""Custom components package (for tests and type checking)."""

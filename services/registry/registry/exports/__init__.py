"""Household files out: the rows of the import template, exports and synthetic test files."""

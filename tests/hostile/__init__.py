"""Hostile input: fuzzed parsers and hostile strings through every output (issue 9, item 6)."""

"""Bundled demo: synthetic pages in the real structure, served locally (see README.md)."""

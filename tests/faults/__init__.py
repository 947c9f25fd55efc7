"""Fault matrix: every coded source against a local server that injects each fault."""

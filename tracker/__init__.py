"""advocacy-tracker: legislative advocacy tracker for human-rights NGOs in Kazakhstan."""

__version__ = "0.1.0"

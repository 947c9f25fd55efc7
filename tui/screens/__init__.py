"""The dashboard's screens: one module per screen, each owning its handlers."""

"""The morning dashboard: a Textual app over the tracker's store (the core never imports it)."""

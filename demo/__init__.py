"""The `make demo` walkthrough: what the main job produced and where it is."""

"""Graph transformations, each a plain function; pipeline.py lists them in the order they run."""

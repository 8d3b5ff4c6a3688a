"""MXNet op translators, grouped by family; table.py lists which op each one converts."""

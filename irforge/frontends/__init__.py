"""Frontends, one package per framework. They never import each other; registry.py picks one per model."""

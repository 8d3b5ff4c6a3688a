"""Developer tools run by hand (documentation generators)."""

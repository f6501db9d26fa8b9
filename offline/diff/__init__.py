"""Compares two runs of the program: what a change would replace or delete."""

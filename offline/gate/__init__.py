"""The policy gate: starts the pack, speaks the analyzer protocol, scores and reports."""

"""Runs the program under the mock runtime: stack loading, provider mocks, ordering, export and the preview tree."""

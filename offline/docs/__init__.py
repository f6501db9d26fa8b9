"""Generated files: the config reference, the policy catalogue and the golden reports."""

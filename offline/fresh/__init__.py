"""What a fresh account and cluster would refuse at `pulumi up`: CRDs nothing installs, pods Pod Security
admission rejects, inputs read by name that nothing creates."""

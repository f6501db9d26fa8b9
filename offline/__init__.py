"""Run the real Pulumi program without the Pulumi CLI or cloud credentials.

The program runs under the SDK's public mock runtime (`pulumi.runtime.set_mocks`) with the mocks in
`offline.mocks`; the result is printed as `pulumi preview` would, exported in Pulumi's deployment
format, and checked by the policy pack over the analyzer protocol.
"""


class OfflineError(Exception):
    """A usage or input problem the user can fix; printed as one line, exit code 2."""

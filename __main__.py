"""orchestrator: the whole production stack of one environment, chosen by stack config."""

import pulumi

from components.config import load
from components.stack import build

stack = build(load())

for name, value in stack.exports().items():
    pulumi.export(name, value)

"""One module per subsystem; ``REGISTRY`` holds every document type they declare."""

from routing.registry import Registry
from routing.subsystems import agent, dec, identity, paperless

REGISTRY = Registry((*identity.SPECS, *dec.SPECS, *agent.SPECS, *paperless.SPECS))

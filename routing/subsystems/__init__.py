"""One module per subsystem; ``REGISTRY`` holds every document type they declare."""

from routing.registry import Registry
from routing.subsystems import identity

REGISTRY = Registry(identity.SPECS)

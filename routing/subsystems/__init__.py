"""One module per subsystem; ``REGISTRY`` holds every document type they declare."""

from routing.registry import Registry
from routing.subsystems import agent, dec, identity, licence, paperless, payment

REGISTRY = Registry((*identity.SPECS, *dec.SPECS, *agent.SPECS, *paperless.SPECS,
                     *payment.SPECS, *licence.SPECS))

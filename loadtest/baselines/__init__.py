"""Bare servers driven with the same load as the gateway, so that a report can say
what fraction of its server's own capacity the gateway reaches."""

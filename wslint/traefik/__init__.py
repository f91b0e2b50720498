"""The Traefik adapter: static and dynamic configuration, labels and CRDs, routing simulation."""

"""The nginx adapter: crossplane's parse tree in, the normalized route model out."""

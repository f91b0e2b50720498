"""The HAProxy adapter: its own tokenizer and parser, HAProxy's semantics, the route model out."""

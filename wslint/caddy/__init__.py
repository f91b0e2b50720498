"""Caddy: the Caddyfile (and Caddy's JSON config) read the way Caddy 2 reads it.

lexer -> parser (server blocks, snippets, imports) -> directives (Caddy's
directive order, handle/route semantics) -> config (the JSON-shaped route
tree Caddy runs) -> routing (what one handshake does in it) -> build (the
route model the rules see).
"""

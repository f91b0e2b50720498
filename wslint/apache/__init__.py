"""Apache httpd: reading its configuration and simulating what it does with WebSocket handshakes."""

"""The nginx adapter: crossplane's parse tree in, the normalized route model out."""

from wslint.nginx.adapter import load_nginx

__all__ = ["load_nginx"]

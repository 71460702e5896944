"""Transports: everything that moves bytes. The client sees only ``_base``."""

"""QuantumFlux Desk: a desktop trading terminal for the PocketOption web platform."""

__version__ = "0.1.0"

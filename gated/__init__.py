"""gated: the lane gate controller of a digital border gate."""

__version__ = "0.1.0"

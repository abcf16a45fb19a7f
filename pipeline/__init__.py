"""accessible-formats: one source report in, every accessible format out."""

__version__ = "0.1.0"

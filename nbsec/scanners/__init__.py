"""Scanners: each turns one kind of target into Findings. See base.py for the contract."""

from nbsec.scanners.base import Scanner, register
from nbsec.scanners.loader import registry

__all__ = ["Scanner", "register", "registry"]

"""Loaded by every Python process the tests start (PYTHONPATH): block the network."""

import netguard

netguard.install()

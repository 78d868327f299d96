"""Tamper-evident audit ledger: an append-only Merkle log with signed checkpoints.

Pure Python; imports nothing from Django.
"""

"""Writes on conventions: keyword-only service functions, atomic, validated.

Views and forms only validate input and lay out; every write goes through here.
"""

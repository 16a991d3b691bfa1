"""Persons API: list, get, create, update, close."""

"""Helpers every layer may use: atomic output writing, text helpers, packaged resources, time."""

"""Residential load: per-home attributes and the vectorised, weather-driven load generator."""

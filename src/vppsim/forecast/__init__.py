"""Forecasts issued before the fact: schedule, weather members, ensembles, metrics."""

"""Forecasts: weather ensembles exchangeable with the truth, nudged intraday, as quantiles."""

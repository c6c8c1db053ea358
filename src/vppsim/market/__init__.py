"""CAISO market data: the OASIS live client and the synthetic price model."""

"""Rooftop PV: the pvlib PVWatts chain and the live PVWatts v8 client."""

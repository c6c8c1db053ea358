"""Weather: the synthetic model and the live NSRDB client."""

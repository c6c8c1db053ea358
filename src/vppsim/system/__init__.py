"""CAISO system drivers of the price: demand, utility-scale solar and wind, net load, gas."""

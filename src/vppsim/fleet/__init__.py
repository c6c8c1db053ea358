"""The fleet: home assets, their pure device physics, and their dispatch."""

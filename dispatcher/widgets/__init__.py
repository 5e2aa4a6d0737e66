"""Reusable widgets: dumb, attributes down, messages up."""

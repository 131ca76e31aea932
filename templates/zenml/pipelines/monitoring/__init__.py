"""Drift monitoring: the logged window, the reference, the statistics, triggers and export."""

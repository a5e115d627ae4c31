"""Xiaoneng (效能): the platform for a government's administrative-efficiency programme."""

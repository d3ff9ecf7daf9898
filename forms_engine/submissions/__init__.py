"""Stored journeys and submissions."""

"""Clients: companies and domains, contacts, contracts, equipment."""

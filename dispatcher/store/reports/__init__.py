"""Reports: the ticket facts kept as tickets change, and the KPIs aggregated over them."""

"""SLA: the clock kept as events, plans and calendars, explanations, alerts."""

"""The lead's numbers (issue #12), as pure functions.

`facts` folds one ticket's history into the facts the KPIs need (kept in the store's
`ticket_fact` table as tickets change); `figures` computes the KPIs of a period from those
facts; `groups` says which group a fact falls in (engineer, queue, ..., day, week, month).
"""

"""The team: users, competences, shifts and leave."""

"""Mail in: parsing real-world messages, the sources they come from, and the intake run."""

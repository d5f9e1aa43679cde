"""Output: URLs, pagination, page dependency records and the atomic site writer."""

"""Recovery for operators: dead letters (list, replay, purge) and the tenants' command journal."""

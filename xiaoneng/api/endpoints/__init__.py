"""The endpoints of /api/v1/, by subject: reference data (the account, units, categories,
the calendar), cases (registration, the ledger list, the case, its timeline and files) and
the lifecycle actions."""

"""Paper materials: intake receipts, custody, storage, lending, destruction, archive room."""

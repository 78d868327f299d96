"""Enterprise clients, their people, bank accounts and tax-bureau logins, and ledger imports."""

"""Settlement (结算, issue 9): commission frozen at payment, a double-entry ledger, statements, payouts,
deposits, reconciliation."""

"""Seller assessment (商家考核, issue 9): shop scores, the leaderboard, rewards and sanctions."""

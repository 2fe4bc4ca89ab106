"""Analytics (issue 9): server-side events, daily rollups, KPI queries, dashboards, A/B tests of home layouts."""

"""Platform operations (issue 9): system settings, campaign calendar, the moderation inbox."""

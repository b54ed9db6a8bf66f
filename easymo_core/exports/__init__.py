"""Files easyMO writes for people to open elsewhere (spreadsheets)."""

"""What comes in from outside: world files and bulk loads, catalogue imports, OpenLineage events."""

"""`indicators`: the command line of reporters (upload a sheet) and readers (progress, alerts, subscriptions)."""

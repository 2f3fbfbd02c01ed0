"""PDF compliance reports: plain data from the database (`data`), pygal charts (`charts`),
WeasyPrint rendering with a locked-down fetcher (`pdf`), audited generation (`services`),
background jobs with huey (`jobs`) and the auditors' page (`views`)."""

"""Organisation accounts: the social accounts the agency speaks through."""

"""reviewer: governance and policy-compliance review for social-media replies."""

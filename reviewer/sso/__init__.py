"""Single sign-on with OpenID Connect: settings, the Authlib client, just-in-time provisioning, views."""

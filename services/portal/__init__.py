"""The web portal's HTTP gateway (`govops-portal`): serves the web app, a JSON API transcoded from
the protos, the session API and Server-Sent Events; every call goes to the five services over gRPC
with the user's own token. No business rules and no database of its own (docs/portal.md)."""

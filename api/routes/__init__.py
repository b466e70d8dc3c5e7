"""The API's routers, one module per user group."""
